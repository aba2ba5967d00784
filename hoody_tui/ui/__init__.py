"""The Textual side: the app, its screens, widgets and the Messages workers post."""
