"""hoody-tui: a terminal dashboard for hoody-agent workspaces."""

import logging as _logging
import sys as _sys

__version__ = "0.1.0"

# httpx imports its command-line client (click, and rich's syntax highlighting) on
# import, unless that fails: 25-30 ms of our start-up (python -X importtime) for a tool
# we never run. Blocking the one module makes httpx fall back to its stub `main`.
_sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

# A library's log lines go where the user sends them (--log-file), never to the terminal
# (Python's last-resort handler would print warnings over the dashboard).
_logging.getLogger("hoody_tui").addHandler(_logging.NullHandler())
