"""``hoody-refserver``: run the reference hoody-agent server from the command line.

The bearer token is never a flag (it would show in the process list): it comes from
``--token-file PATH`` or the ``HOODY_REFSERVER_TOKEN`` environment variable.

``--flavor gateway`` serves the in-container gateway ``hoody-agent-d`` instead (see
:mod:`.gateway`); there the token is the ``X-Hoody-Token`` of the kit credential (C13).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .config import FLAVORS, GATEWAY_AUTH, HEARTBEAT_STYLES, PREFIXES, SCENARIOS, ServerConfig

__all__ = ["main", "build_parser"]

PROG = "hoody-refserver"
TOKEN_ENV = "HOODY_REFSERVER_TOKEN"


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line (``hoody-refserver: error: …``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535 (got {value})")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0 (got {text})")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (got {text})")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (got {text})")
    return value


def _positive_int(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {text})")
    return value


def _error_status(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an HTTP status: {text!r}") from None
    if not 400 <= value <= 599:
        raise argparse.ArgumentTypeError(f"must be an HTTP error status, 400-599 (got {value})")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="A faithful local hoody-agent server with scripted, seeded agent activity "
                    "(the demo, the tests and the benchmarks run against it).",
        epilog=f"The bearer token is read from --token-file or ${TOKEN_ENV}; there is deliberately no --token.",
    )
    net = p.add_argument_group("server")
    net.add_argument("--flavor", choices=FLAVORS, default="workspace",
                     help="workspace = the workspace-scoped API (default); gateway = the in-container "
                          "hoody-agent-d gateway under /api/v1/agent")
    net.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    net.add_argument("--port", type=_port, default=4096, help="port to listen on, 0 = any free port (default 4096)")
    net.add_argument("--workspace", metavar="ID", help="workspace id (default: a 24-hex id derived from the seed)")
    net.add_argument("--prefix", choices=sorted(PREFIXES), default="both",
                     help="mount the API under /api/v1 (v1), /api/v1/agent (agent) or both (default)")
    net.add_argument("--token-file", metavar="PATH", type=Path,
                     help=f"require this bearer token (first line of the file; or set ${TOKEN_ENV})")
    net.add_argument("--gateway-auth", choices=GATEWAY_AUTH, default=None,
                     help="gateway flavour: none (network-position trust) or claim (require the "
                          "X-Hoody-Container-Claim + X-Hoody-Token pair); default claim when a token is set")
    net.add_argument("--alt-shapes", action="store_true",
                     help='answer lists as {"items","total","cursor"} and errors as {"error":{"code","message"}}')
    net.add_argument("--control", action="store_true", help="mount POST /_control/faults to change faults at runtime")

    sc = p.add_argument_group("scenario")
    sc.add_argument("--scenario", choices=SCENARIOS, default="demo",
                    help="demo = lively (default), idle = populated but still, none = empty workspace")
    sc.add_argument("--seed", type=int, default=1, help="drives all content and choices (default 1)")
    sc.add_argument("--speed", type=_positive_float, default=1.0, help="scale all scripted delays (2 = twice as fast)")
    sc.add_argument("--sessions", type=_count, default=5, help="number of sessions (default 5)")
    sc.add_argument("--epoch-ms", type=int, metavar="MS", help="fix the start time (epoch ms; default: now)")
    sc.add_argument("--pending-gates", type=_count, default=0, metavar="N",
                    help="open N permission requests at start-up, in a session of their own (default 0)")
    sc.add_argument("--firehose", type=_non_negative_float, default=0.0, metavar="RATE",
                    help="benchmark mode: emit RATE events per second (0 = off)")
    sc.add_argument("--firehose-sessions", type=_positive_int, default=1000, metavar="N",
                    help="sessions the firehose spreads over (default 1000)")

    ev = p.add_argument_group("event stream")
    ev.add_argument("--heartbeat", type=_positive_float, default=30.0, metavar="SECONDS",
                    help="heartbeat interval (default 30)")
    ev.add_argument("--heartbeat-style", choices=HEARTBEAT_STYLES, default="comment",
                    help="': heartbeat' comment (default), 'event: heartbeat', or a typed server.heartbeat event")
    ev.add_argument("--event-ids", action="store_true", help="send id: on every event and replay from Last-Event-ID")

    fl = p.add_argument_group("faults (for client tests)")
    fl.add_argument("--drop-after", type=_positive_int, metavar="N", help="close each event connection after N events")
    fl.add_argument("--malformed-every", type=_positive_int, metavar="N",
                    help="send a frame of invalid JSON after every N events")
    fl.add_argument("--fail-route", action="append", default=[], metavar="REGEX",
                    help="answer an error (500, or --fail-status) on paths matching REGEX (repeatable)")
    fl.add_argument("--fail-status", type=_error_status, default=500, metavar="STATUS",
                    help="the status --fail-route answers with (default 500; 401, 403, 409, 503...)")
    fl.add_argument("--delay-ms", type=_count, default=0, metavar="MS", help="delay every REST reply")
    return p


def _read_token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            text = args.token_file.expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the token file {args.token_file}: {exc.strerror or exc}") from None
        token = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not token:
            raise ValueError(f"the token file {args.token_file} is empty")
        return token
    env = os.environ.get(TOKEN_ENV, "").strip()
    return env or None


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    config = ServerConfig(
        host=args.host, port=args.port, workspace=args.workspace, seed=args.seed, speed=args.speed,
        token=_read_token(args), prefix=args.prefix, scenario=args.scenario, sessions=args.sessions,
        heartbeat_interval=args.heartbeat, heartbeat_style=args.heartbeat_style, event_ids=args.event_ids,
        epoch_ms=args.epoch_ms, alt_shapes=args.alt_shapes, firehose=args.firehose,
        firehose_sessions=args.firehose_sessions, control=args.control, drop_after=args.drop_after,
        malformed_every=args.malformed_every, fail_routes=list(args.fail_route), fail_status=args.fail_status,
        delay_ms=args.delay_ms, pending_gates=args.pending_gates, flavor=args.flavor,
        gateway_auth=args.gateway_auth,
    )
    config.validate()
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .runner import bind_socket, serve

    try:
        config = config_from_args(args)
        sock = bind_socket(config.host, config.port)
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"{PROG}: error: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 2

    if config.flavor == "gateway":
        return _serve_gateway(config, sock)

    def announce(url: str, ws: object) -> None:
        workspace = config.workspace_id
        prefix = config.prefixes[0]
        print(f"{PROG}: serving workspace {workspace} at {url} (prefix {' and '.join(config.prefixes)})",
              flush=True)
        connect = f"hoody-tui --url {url} --workspace {workspace}"
        if prefix != "/api/v1":
            connect += f" --api-prefix {prefix}"
        if config.token:
            if args.token_file:
                connect += f" --token-file {args.token_file}"
            else:
                connect = f'HOODY_TOKEN="${TOKEN_ENV}" ' + connect
        print(f"{PROG}: connect with: {connect}", flush=True)

    try:
        asyncio.run(serve(config, sock=sock, on_ready=announce))
    except KeyboardInterrupt:
        return 130
    return 0


def _serve_gateway(config: ServerConfig, sock: socket.socket) -> int:
    from .gateway.runner import serve_gateway

    def announce(url: str) -> None:
        print(f"{PROG}: serving gateway hoody-agent-d at {url}/api/v1/agent "
              f"(auth {config.gateway_auth_mode})", flush=True)
        print(f"{PROG}: health: {url}/api/v1/agent/health", flush=True)

    try:
        asyncio.run(serve_gateway(config, sock=sock, on_ready=announce))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
