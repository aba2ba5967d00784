"""Reusable widgets: the status bar, the filter box, the message view."""
