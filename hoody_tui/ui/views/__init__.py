"""The four views the user switches between with 1-4: sessions, stream, jobs, gates."""
