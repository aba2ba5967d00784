"""Rich styles taken from the current Textual theme, for text drawn inside tables."""

from __future__ import annotations

from textual.app import App

__all__ = ["theme_color", "STATUS_COLOR"]

STATUS_COLOR = {
    "idle": "text-muted",
    "busy": "success",
    "retry": "warning",
    "error": "error",
    "queued": "text-muted",
    "running": "accent",
    "completed": "success",
    "failed": "error",
    "expired": "warning",
    "cancelled": "text-muted",
}


def theme_color(app: App, name: str) -> str:
    """The theme's colour ``$name`` as a Rich colour string (follows dark/light themes)."""
    value = app.theme_variables.get(name) or app.theme_variables.get("foreground") or ""
    # Variables may carry alpha ("#rrggbbaa" or "rgba(...)"); Rich wants plain colours.
    if value.startswith("#") and len(value) == 9:
        value = value[:7]
    if value.startswith("rgba("):
        r, g, b = (part.strip() for part in value[5:-1].split(",")[:3])
        value = f"rgb({r},{g},{b})"
    return value
