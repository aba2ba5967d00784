"""``hoody-tui``: parse the command line, find the server, run the app.

Every failure before the app starts is one line on stderr and exit status 2; the
token is read from the environment or a file, never from a flag value (a flag
would put it in the process list and the shell history).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["main", "build_parser", "Target", "resolve_target", "UsageError"]

PROG = "hoody-tui"


class UsageError(Exception):
    """A problem with what the user asked for, said in one line."""


@dataclass(frozen=True)
class Target:
    url: str
    workspace: str
    token: str | None
    insecure: bool
    api_prefix: str

    def __repr__(self) -> str:  # never show the token
        return (
            f"Target(url={self.url!r}, workspace={self.workspace!r}, token={'set' if self.token else 'none'}, "
            f"insecure={self.insecure}, api_prefix={self.api_prefix!r})"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,  # `--token x` must not silently mean `--token-file x`
        description="Terminal dashboard for a hoody-agent workspace: sessions, live streams, jobs, loops and gates.",
        epilog=(
            "Environment: HOODY_URL, HOODY_WORKSPACE, HOODY_TOKEN. "
            "Try `hoody-tui --demo` to see it with the bundled reference server."
        ),
    )
    parser.add_argument("--url", help="server URL, e.g. https://api.hoody.com (env HOODY_URL)")
    parser.add_argument("--workspace", help="workspace id (env HOODY_WORKSPACE)")
    parser.add_argument(
        "--token-file", type=Path, metavar="PATH",
        help="read the bearer token from this file (else env HOODY_TOKEN)",
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    parser.add_argument(
        "--api-prefix", default="/api/v1", metavar="PREFIX",
        help="API prefix: /api/v1 (default), /api/v1/agent, or auto to probe",
    )
    parser.add_argument("--demo", action="store_true", help="start the bundled reference server and connect to it")
    parser.add_argument("--seed", type=int, default=1, help="scenario seed for --demo (default 1)")
    parser.add_argument("--theme", help="Textual theme, e.g. textual-dark, textual-light, nord")
    return parser


def _read_token(path: Path | None) -> str | None:
    if path is None:
        token = os.environ.get("HOODY_TOKEN", "").strip()
        return token or None
    try:
        token = path.expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    if not token:
        raise UsageError(f"the token file {path} is empty")
    return token


def resolve_target(args: argparse.Namespace) -> Target:
    """Where to connect, from flags first, then the environment."""
    url = (args.url or os.environ.get("HOODY_URL", "")).strip()
    workspace = (args.workspace or os.environ.get("HOODY_WORKSPACE", "")).strip()
    missing = [name for name, value in (("HOODY_URL (or --url)", url), ("HOODY_WORKSPACE (or --workspace)", workspace)) if not value]
    if missing:
        raise UsageError(
            "no server configured: set " + " and ".join(missing)
            + ", and HOODY_TOKEN or --token-file if the server needs a token; "
            "or run `hoody-tui --demo` to try it with the bundled reference server"
        )
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"the server URL must start with http:// or https:// (got {url!r})")
    return Target(url, workspace, _read_token(args.token_file), args.insecure, args.api_prefix)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    server = None
    try:
        if args.demo:
            from .demo import start_demo_server

            server = start_demo_server(seed=args.seed)
            target = Target(server.url, server.workspace, None, False, "/api/v1")
        else:
            target = resolve_target(args)
        from .ui.app import AppOptions, HoodyApp

        options = AppOptions(
            url=target.url, workspace=target.workspace, token=target.token, insecure=target.insecure,
            api_prefix=target.api_prefix, theme=args.theme, server_label="demo" if args.demo else None,
        )
        app = HoodyApp(options)
        if args.theme and args.theme not in app.available_themes:
            raise UsageError(f"unknown theme {args.theme!r}; try one of: {', '.join(sorted(app.available_themes))}")
        app.run()
        return app.return_code or 0
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
