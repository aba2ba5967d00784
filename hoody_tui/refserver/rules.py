"""Permission rules: wildcard matching, last-match-wins evaluation, and the patterns a
tool call is checked under.

A rule is ``{"permission": "bash", "pattern": "git push *", "action": "allow|deny|ask"}``.
``*`` matches any run of characters (spaces and slashes included), ``?`` one character,
on both the permission name and the pattern; a pattern ending in ``" *"`` also matches
its bare prefix (``"ls *"`` matches ``"ls"``). The last matching rule wins; no match
means ``ask``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = [
    "ACTIONS",
    "wildcard_match",
    "evaluate",
    "evaluate_all",
    "rules_from_config",
    "bash_patterns",
    "bash_always",
    "valid_rule",
]

ACTIONS = ("allow", "deny", "ask")

Rule = dict[str, Any]

# Commands whose permission prefix is two words (``git push *`` rather than ``git *``).
_TWO_WORD = {"git", "npm", "pnpm", "yarn", "docker", "cargo", "kubectl", "go", "pip", "systemctl", "brew", "sudo"}


@lru_cache(maxsize=2048)
def _compile(pattern: str) -> re.Pattern[str]:
    optional_tail = pattern.endswith(" *")
    core = pattern[:-2] if optional_tail else pattern
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in core)
    if optional_tail:
        body += "(?: .*)?"
    return re.compile(f"^{body}$", re.DOTALL)


def wildcard_match(text: str, pattern: str) -> bool:
    """``*``/``?`` wildcard match of the whole ``text``."""
    return _compile(pattern).match(text) is not None


def evaluate(permission: str, pattern: str, rules: list[Rule]) -> str:
    """The action for one pattern: the last rule matching both names wins; default ``ask``."""
    for rule in reversed(rules):
        if wildcard_match(permission, str(rule.get("permission", ""))) and wildcard_match(
            pattern, str(rule.get("pattern", "*"))
        ):
            return str(rule.get("action", "ask"))
    return "ask"


def evaluate_all(permission: str, patterns: list[str], rules: list[Rule]) -> str:
    """The action for a tool call with several patterns: any deny -> deny, else any ask
    -> ask, else allow."""
    actions = {evaluate(permission, p, rules) for p in patterns or ["*"]}
    if "deny" in actions:
        return "deny"
    if "ask" in actions:
        return "ask"
    return "allow"


def rules_from_config(permission: dict[str, Any]) -> list[Rule]:
    """Rules from a config map ``{"bash": "ask"}`` or ``{"bash": {"git *": "allow"}}`` (C18)."""
    rules: list[Rule] = []
    for name, value in permission.items():
        if isinstance(value, str):
            rules.append({"permission": name, "pattern": "*", "action": value})
        elif isinstance(value, dict):
            rules.extend({"permission": name, "pattern": p, "action": a} for p, a in value.items())
    return rules


def _segments(command: str) -> list[str]:
    parts = re.split(r"\s*(?:\|\||&&|;|\|)\s*", command.strip())
    return [p for p in parts if p]


def bash_patterns(command: str) -> list[str]:
    """One pattern per command of a pipeline/list: ``curl … | sh`` -> ``["curl …", "sh"]``."""
    return _segments(command) or [command]


def bash_always(command: str) -> list[str]:
    """What an ``always`` reply would allow: each command's prefix + ``" *"``."""
    prefixes: list[str] = []
    for segment in _segments(command):
        words = segment.split()
        take = 2 if words and words[0] in _TWO_WORD and len(words) > 1 else 1
        prefix = " ".join(words[:take]) + " *"
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


def valid_rule(rule: Any) -> bool:
    return (
        isinstance(rule, dict)
        and isinstance(rule.get("permission"), str)
        and isinstance(rule.get("pattern"), str)
        and rule.get("action") in ACTIONS
    )
