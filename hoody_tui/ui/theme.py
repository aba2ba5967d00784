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


_BRIGHT = frozenset({"success", "warning", "accent", "secondary"})


def _readable(color: Color, background: Color) -> Color:
    for step in range(11):
        darker = color.darken(step * 0.05)
        if _contrast(darker, background) >= 4.5:
            return darker
    return color.darken(0.55)


def _contrast(a: Color, b: Color) -> float:
    def luminance(c: Color) -> float:
        def channel(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


_resolved: dict[tuple[str, str], str] = {}
_resolved_for: list[dict[str, str]] = [{}]
"""Colours resolved from the theme variables they were read from (the app replaces its
variables dict whenever the theme or its CSS changes): a table row asks for its status
colour each time it is built, and resolving one (parse, blend, contrast) cost ~10 us."""


def theme_color(app: App, name: str) -> str:
    """The theme's colour ``$name`` as a Rich style string (follows dark/light themes).

    Some variables are not plain colours (``$text-muted`` is ``auto 60%``, a contrast
    colour at 60 %): those are blended onto the background here, since Rich cannot.
    """
    variables = app.theme_variables
    if _resolved_for[0] is not variables:
        _resolved.clear()
        _resolved_for[0] = variables
    key = (app.theme, name)
    color = _resolved.get(key)
    if color is None:
        color = _resolved[key] = _resolve(app, variables, name)
    return color


def _resolve(app: App, variables: dict[str, str], name: str) -> str:
    value = variables.get(name) or variables.get("foreground") or ""
    try:
        background = Color.parse(variables.get("background", "#000000"))
        if value.startswith("auto"):
            alpha = float(value.split()[1].rstrip("%")) / 100 if " " in value else 1.0
            foreground = background.get_contrast_text(1.0)
            return background.blend(foreground, alpha).hex6
        color = Color.parse(value)
        color = background.blend(color.with_alpha(1.0), color.a) if color.a < 1 else color
        if not app.current_theme.dark and name in _BRIGHT:
            # Light themes' green, orange and cyan are made for backgrounds, not for text
            # on light grey: darkened until they read (WCAG contrast 4.5 or more).
            color = _readable(color, background)
        return color.hex6
    except Exception:
        return "dim" if name.startswith("text") else ""
