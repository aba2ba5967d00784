"""What the help screen lists: every key, grouped by view, in words, with remapped keys.

The view on screen comes first, then the other views, then the keys that work
everywhere. A key the server cannot use (its backend's capabilities) is left out, and
a key remapped in the config file's ``[keys]`` table shows as remapped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.actions import parse
from textual.binding import Binding

from .views import TITLES, VIEWS
from .views.base import TableView

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from .app import HoodyApp

__all__ = ["help_rows", "HelpSection", "KEY_WORDS"]

HelpSection = tuple[str, list[tuple[str, str, str]]]
"""(section title, [(keys, what it does, more detail)])."""

KEY_WORDS = {
    "escape": "Esc", "enter": "Enter", "space": "Space", "slash": "/", "question_mark": "?", "home": "Home",
    "end": "End", "up": "↑", "down": "↓", "tab": "Tab", "pageup": "PgUp", "pagedown": "PgDn",
}
LIST_KEYS = [
    ("↑ ↓", "Move", "Move the cursor one row"),
    ("Home End", "First / last row", "Go to the first or the last row"),
    ("PgUp PgDn", "Page", "Move a page up or down"),
]
EVERYWHERE_EXTRA = [("ctrl+p", "Command palette", "Go to any view or open any session by name")]


def _keys(app: HoodyApp, binding: Binding) -> str:
    keys = app.options.keymap.get(binding.id or "", binding.key) if binding.id else binding.key
    return " ".join(KEY_WORDS.get(key.strip(), key.strip()) for key in keys.split(","))


def _offered(node: DOMNode, binding: Binding) -> bool:
    _, name, parameters = parse(binding.action)
    try:
        return node.check_action(name, parameters) is not False
    except Exception:  # a check that needs a mounted widget: offer the key
        return True


def _rows(app: HoodyApp, node: DOMNode, bindings: list[Binding]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for binding in bindings:
        if not binding.description or binding.action in seen or not _offered(node, binding):
            continue
        seen.add(binding.action)
        rows.append((_keys(app, binding), binding.description, binding.tooltip or ""))
    return rows


def help_rows(app: HoodyApp) -> list[HelpSection]:
    order = [app.current_view, *[v for v in VIEWS if v != app.current_view]]
    sections: list[HelpSection] = []
    for name in order:
        if name == "jobs" and not app.service.capabilities.jobs:
            continue
        view = app.view(name)
        bindings: list[Binding] = []
        enter = getattr(view, "ENTER", None)
        if isinstance(enter, Binding):
            bindings.append(enter)
        bindings += [b for b in type(view).BINDINGS if isinstance(b, Binding)]
        if isinstance(view, TableView):
            bindings += [b for b in TableView.BINDINGS if isinstance(b, Binding)]
        rows = _rows(app, view, bindings)
        if isinstance(view, TableView):
            rows += LIST_KEYS
        sections.append((f"{TITLES[name]} view", rows))
    everywhere = _rows(app, app, [b for b in type(app).BINDINGS if isinstance(b, Binding)])
    sections.append(("Everywhere", everywhere + EVERYWHERE_EXTRA))
    return sections
