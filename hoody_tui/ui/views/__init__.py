"""The four views, switched with 1-4: their names, in order, and their titles."""

VIEWS = ("sessions", "stream", "jobs", "gates")
TITLES = {"sessions": "Sessions", "stream": "Stream", "jobs": "Jobs", "gates": "Gates"}
