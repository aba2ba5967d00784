"""Telling the user about a new gate when the terminal may be in the background:
the bell, the terminal title, and optional desktop notifications (OSC 9 / OSC 777).

Everything written to the terminal here is built from neutralised text, so a session
title cannot smuggle control sequences out.
"""

from __future__ import annotations

from textual.app import App

from ..text import one_line

__all__ = ["set_terminal_title", "desktop_notification"]


def _write(app: App, sequence: str) -> bool:
    driver = getattr(app, "_driver", None)
    if app.is_headless or driver is None:
        return False
    driver.write(sequence)
    driver.flush()
    return True


def set_terminal_title(app: App, title: str) -> bool:
    """OSC 2: the window/tab title, so a count of waiting gates shows from afar."""
    return _write(app, f"\x1b]2;{one_line(title)[:120]}\x07")


def desktop_notification(app: App, title: str, body: str) -> bool:
    """OSC 9 (iTerm2, WezTerm, kitty, Windows Terminal) and OSC 777 (rxvt, foot, Ghostty)."""
    title, body = one_line(title)[:80].replace(";", ","), one_line(body)[:200].replace(";", ",")
    return _write(app, f"\x1b]9;{title}: {body}\x07\x1b]777;notify;{title};{body}\x07")
