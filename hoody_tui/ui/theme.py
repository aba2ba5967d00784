"""Rich styles taken from the current Textual theme, for text drawn inside tables."""

from __future__ import annotations

from textual.app import App
from textual.color import Color

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
    """The theme's colour ``$name`` as a Rich style string (follows dark/light themes).

    Some variables are not plain colours (``$text-muted`` is ``auto 60%``, a contrast
    colour at 60 %): those are blended onto the background here, since Rich cannot.
    """
    variables = app.theme_variables
    value = variables.get(name) or variables.get("foreground") or ""
    try:
        background = Color.parse(variables.get("background", "#000000"))
        if value.startswith("auto"):
            alpha = float(value.split()[1].rstrip("%")) / 100 if " " in value else 1.0
            foreground = background.get_contrast_text(1.0)
            return background.blend(foreground, alpha).hex6
        color = Color.parse(value)
        return (background.blend(color.with_alpha(1.0), color.a) if color.a < 1 else color).hex6
    except Exception:
        return "dim" if name.startswith("text") else ""
