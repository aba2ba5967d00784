"""Web mode: ``hoody-tui serve`` serves the dashboard to a browser, private by default.

- :mod:`.parser`: the subcommand's options and man-page help (argparse only);
- :mod:`.address`: where it listens, and whether other devices could reach that;
- :mod:`.secret`: the URL's secret (made, and compared in constant time);
- :mod:`.command`: each tab's dashboard command line (never a credential in it);
- :mod:`.tabs`: one dashboard process per browser tab, never outliving the server;
- :mod:`.server`: the aiohttp app (page, websocket, static files) behind the guard;
- :mod:`.logs`: one-line, redacted messages and no access log;
- :mod:`.run`: the command itself.

The serving process never imports Textual: the dashboard runs only in each tab's child
process. Importing this package loads argparse and nothing of the web server.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from .parser import add_serve_command

if TYPE_CHECKING:
    from .run import ServedSources

__all__ = ["add_serve_command", "serve"]


def serve(args: argparse.Namespace, sources: Callable[[argparse.Namespace], ServedSources]) -> int:
    """Run ``hoody-tui serve`` (see :func:`.run.serve`)."""
    from .run import serve as run

    return run(args, sources)
