"""The command line of each tab's dashboard: ``python -m hoody_tui.cli`` with the
dashboard options ``hoody-tui serve`` was given.

The child resolves its servers exactly as ``hoody-tui`` with those options would
(flags, ``HOODY_*``, profiles, ``sources``), so a tab shows what the dashboard would.
No credential is ever in this argument list (anyone on the machine can read it in
``/proc``): there is no flag for one, and the child reads its token or password where
the dashboard does, from its environment (``HOODY_TOKEN``, ``OPENCODE_SERVER_PASSWORD``)
or the files named (``--token-file``, a profile's ``token_file``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ChildCommand", "child_command", "dashboard_flags"]

_VALUES = (
    ("url", "--url"), ("workspace", "--workspace"), ("token_file", "--token-file"), ("backend", "--backend"),
    ("api_prefix", "--api-prefix"), ("seed", "--seed"), ("audit_log", "--audit-log"), ("log_file", "--log-file"),
    ("theme", "--theme"),
)
_SWITCHES = (
    ("demo", "--demo"), ("insecure", "--insecure"), ("all_profiles", "--all-profiles"), ("no_bell", "--no-bell"),
    ("notify", "--notify"),
)


@dataclass(frozen=True)
class ChildCommand:
    argv: tuple[str, ...]
    extra_env: Mapping[str, str] = field(default_factory=dict)
    """Variables set for the child on top of this process's environment (never a
    secret of the web server's own: the URL's secret is not the child's business)."""

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        env = dict(base)
        env.update(self.extra_env)
        return env


def dashboard_flags(args: argparse.Namespace) -> list[str]:
    """The dashboard options in ``args`` as flags (``--name=value``, so a value that
    starts with ``-`` stays a value)."""
    flags: list[str] = []
    for name in (*(getattr(args, "profile", None) or []), *(getattr(args, "profile_after", None) or [])):
        flags.append(f"--profile={name}")
    for attr, flag in _VALUES:
        value = getattr(args, attr, None)
        if value is not None:
            flags.append(f"{flag}={value if not isinstance(value, Path) else str(value)}")
    flags += [flag for attr, flag in _SWITCHES if getattr(args, attr, False)]
    return flags


def child_command(args: argparse.Namespace, extra_env: Mapping[str, str] | None = None) -> ChildCommand:
    """The dashboard a tab runs, with this interpreter (the same installation)."""
    return ChildCommand((sys.executable, "-m", "hoody_tui.cli", *dashboard_flags(args)), dict(extra_env or {}))
