"""Permission rule evaluation as the server does it: wildcards, last match wins."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ..api.permissions import PermissionRule

__all__ = ["wildcard_match", "matching_rule"]


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def wildcard_match(pattern: str, value: str) -> bool:
    """``*`` matches any run of characters, ``?`` one character; the whole value must match."""
    return _compile(pattern).fullmatch(value) is not None


def matching_rule(rules: Sequence[PermissionRule], permission: str, values: Sequence[str]) -> int | None:
    """Index of the rule that decides ``permission`` for ``values`` (the last that
    matches any of them), or ``None`` when no rule matches (the server then asks)."""
    found = None
    for index, rule in enumerate(rules):
        if not wildcard_match(rule.permission, permission):
            continue
        if any(wildcard_match(rule.pattern, value) for value in values) or (not values and rule.pattern == "*"):
            found = index
    return found
