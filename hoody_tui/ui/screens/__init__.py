"""Modal screens: help, confirmation, session details."""
