"""``hoody-tui serve``'s command line, and its help, written to read like a man page.

Only argparse here: building the parser must not load the web server (``hoody-tui
--help`` and every other command build it too).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = ["add_serve_command", "DEFAULT_HOST", "DEFAULT_PORT", "EXIT_STATUS_HELP"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

_DESCRIPTION = """\
Serve the dashboard to a web browser: the same views, keys and servers as `hoody-tui`,
in a browser tab on this machine or, with --allow-remote, on a phone, a tablet or
another computer. Each browser tab runs its own dashboard process on this machine.

It prints one URL, http://HOST:PORT/SECRET/, where SECRET is a fresh random string
made at every start. Open that URL; anything without the secret (the page, its
websocket, any other path) is refused with 403 and starts nothing. The URL is the
key: anyone who has it can decide your gates until you stop the server (Ctrl-C)."""

_PRIVACY = """\
privacy:
  It listens on 127.0.0.1 (loopback) unless told otherwise: only this machine can
  connect. Another address (--host 0.0.0.0, a LAN address) needs --allow-remote, and
  is plain HTTP: the secret and everything on screen cross the network unencrypted,
  so put TLS in front of it (a reverse proxy such as Caddy or nginx with a
  certificate, or an ssh tunnel: ssh -L 8000:127.0.0.1:8000 HOST) and keep --host on
  127.0.0.1 behind the proxy.
  The secret is compared in constant time and never logged (there is no access log).
  The server's token or password stays on this machine: each tab's dashboard reads it
  as `hoody-tui` does (HOODY_TOKEN, --token-file, a profile), never from its argument
  list, and the browser never sees it."""

_EXAMPLES = """\
examples:
  hoody-tui serve --demo                          # try it with the bundled server
  hoody-tui serve --profile work                  # http://127.0.0.1:8000/<secret>/
  hoody-tui serve --port 0                        # any free port (the URL says which)
  hoody-tui serve --host 0.0.0.0 --allow-remote   # other devices: put TLS in front"""

EXIT_STATUS_HELP = """\
exit status:
  0  stopped (Ctrl-C or SIGTERM)
  1  could not listen (the port is taken, or not allowed), or the demo server failed
  2  bad usage: an unknown option, a bad setting, or a non-loopback --host without
     --allow-remote"""


def add_serve_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    add_shared: Callable[[argparse._ArgumentGroup], None],
) -> argparse.ArgumentParser:
    """``serve``: its own options, then the dashboard's (``add_shared`` adds the
    connection options, as for the headless commands)."""
    parser = subparsers.add_parser(
        "serve", help="serve the dashboard to a web browser (private by default)",
        description=_DESCRIPTION, epilog=f"{_EXAMPLES}\n\n{_PRIVACY}\n\n{EXIT_STATUS_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
    )
    listen = parser.add_argument_group("listening")
    listen.add_argument("--host", default=DEFAULT_HOST,
                        help=f"the address to listen on (default {DEFAULT_HOST}: this machine only)")
    listen.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"the port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    listen.add_argument("--allow-remote", action="store_true",
                        help="allow a --host other devices can reach (put TLS in front of it)")
    dashboard = parser.add_argument_group("the dashboard in each tab (the same options as hoody-tui's)")
    # After the command name they default to "not given", so a value given before it
    # (`hoody-tui --theme nord serve`) is kept, as for the connection options.
    quiet: dict[str, Any] = {"default": argparse.SUPPRESS}
    dashboard.add_argument("--theme", help="Textual theme, e.g. textual-dark, textual-light, nord", **quiet)
    dashboard.add_argument("--no-bell", action="store_true", help="do not ring the bell when a gate arrives", **quiet)
    dashboard.add_argument("--notify", action="store_true",
                           help="also send a desktop notification (OSC 9 / OSC 777) when a gate arrives", **quiet)
    add_shared(parser.add_argument_group("server (the same options as the dashboard's)"))
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535: {text!r}")
    return value
