"""List envelopes: every documented way a list comes back (contract C4, C5)."""

from __future__ import annotations

from typing import Any

__all__ = ["unwrap_list", "next_cursor", "LIST_KEYS"]

LIST_KEYS = ("items", "jobs", "sessions", "data", "results")


def unwrap_list(body: Any) -> list[Any] | None:
    """The list in ``body``: the body itself, or the list under a known envelope key.

    Returns ``None`` when there is no list, so the caller can say the shape is wrong.
    """
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in LIST_KEYS:
            value = body.get(key)
            if isinstance(value, list):
                return value
    return None


def next_cursor(body: Any) -> str | None:
    """The cursor of the next page: ``nextCursor`` | ``cursor`` | ``next_cursor`` | ``meta.next``."""
    if not isinstance(body, dict):
        return None
    for key in ("nextCursor", "next_cursor", "cursor"):
        value = body.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    meta = body.get("meta")
    if isinstance(meta, dict):
        value = meta.get("next")
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return None
