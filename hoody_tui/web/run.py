"""``hoody-tui serve``: check where to listen, resolve the servers as the dashboard does,
make the secret, print the one URL, and serve until stopped.

Every failure is one line on stderr: 2 for bad usage (a bad setting, a non-loopback
``--host`` without ``--allow-remote``), 1 when it cannot listen or the demo server does
not start; 0 once stopped with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..config import ConfigError
from ..diagnostics import Redactor
from .address import REMOTE_WARNING, Address, AddressError, bind, check_address, url_host
from .command import child_command
from .logs import quiet_logs, redact_output, say
from .secret import new_secret

__all__ = ["serve", "ServedSources"]


@dataclass(frozen=True)
class ServedSources:
    """What the dashboard's own resolution found for ``serve`` (the command line hands it
    over: this package does not import it): the credentials to keep out of every line
    written, variables for each tab's dashboard, and how to stop what was started (the
    demo server)."""

    tokens: tuple[str, ...] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)
    stop: Callable[[], None] = lambda: None


def serve(args: argparse.Namespace, sources: Callable[[argparse.Namespace], ServedSources]) -> int:
    """Run ``hoody-tui serve``; the exit status."""
    try:
        address = check_address(args.host, args.port, allow_remote=args.allow_remote)
    except AddressError as exc:
        say(str(exc))
        return 2
    try:
        served = sources(args)
    except ConfigError as exc:
        say(str(exc))
        return 2
    except (OSError, RuntimeError) as exc:  # the demo server did not start
        say(f"the demo server did not start: {exc}")
        return 1
    try:
        return _serve(args, address, served)
    finally:
        served.stop()


def _serve(args: argparse.Namespace, address: Address, served: ServedSources) -> int:
    from .server import build_app, run_server

    host, port = address.host, address.port
    try:
        sock = bind(address)
    except OSError as exc:
        why = exc.strerror or str(exc)
        hint = " (try another --port, or --port 0 for any free one)" if port else ""
        say(f"cannot listen on {host}:{port}: {why.lower()}{hint}")
        return 1
    secret = new_secret()
    url = f"http://{url_host(host)}:{sock.getsockname()[1]}/{secret}/"
    redact = Redactor(secret, *served.tokens)
    app = build_app(secret, child_command(args, served.extra_env))

    out = sys.stdout  # the URL is the one line written unredacted

    def ready() -> None:
        if not address.loopback:
            say(REMOTE_WARNING.format(host=host))
        out.write(url + "\n")
        out.flush()
        if address.loopback:
            where = "in a browser on this machine (only this machine can connect)"
        else:
            where = (f"in a browser on any device that can reach this one (where {url_host(host)} does not resolve, "
                     "put this machine's address in its place)")
        say(f"open the URL above {where}; each tab runs its own dashboard. Ctrl-C stops.")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_server(sock, app, stop, ready)

    quiet_logs(redact)
    try:
        with redact_output(redact):
            asyncio.run(main())
    except KeyboardInterrupt:
        return 130
    finally:
        sock.close()
    say("stopped; the URL no longer opens anything")
    return 0
