"""``hoody-tui``: parse the command line, find the server, run the app.

Every failure before the app starts is one line on stderr and exit status 2; the
token is read from the environment or a file, never from a flag value (a flag
would put it in the process list and the shell history).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .backends import KINDS, NEEDS_WORKSPACE, Connection, MissingWorkspace, connect
from .config import (
    ConfigError,
    Profile,
    config_path_from,
    environment,
    load_config_file,
    private_file_warning,
    read_token_file,
)

__all__ = ["main", "build_parser", "Target", "resolve_target", "UsageError"]

PROG = "hoody-tui"


UsageError = ConfigError


@dataclass(frozen=True)
class Target:
    url: str
    workspace: str
    token: str | None
    insecure: bool
    api_prefix: str
    theme: str | None = None
    backend: str = "auto"
    keys: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show the token
        return (
            f"Target(url={self.url!r}, workspace={self.workspace!r}, token={'set' if self.token else 'none'}, "
            f"insecure={self.insecure}, api_prefix={self.api_prefix!r}, backend={self.backend!r})"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,  # `--token x` must not silently mean `--token-file x`
        description=("Terminal dashboard for AI agent servers (a hoody-agent workspace, or opencode serve): "
                     "sessions, live streams, jobs, loops and gates."),
        epilog=(
            "Environment: HOODY_URL, HOODY_WORKSPACE, HOODY_TOKEN (an opencode server's password: also "
            "OPENCODE_SERVER_PASSWORD, user OPENCODE_SERVER_USERNAME or opencode). "
            "Try `hoody-tui --demo` to see it with the bundled reference server."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--url", help="server URL, e.g. https://api.hoody.com (env HOODY_URL)")
    parser.add_argument(
        "--workspace",
        help="workspace id (env HOODY_WORKSPACE); for opencode, the project directory (default: the server's own)",
    )
    parser.add_argument(
        "--token-file", type=Path, metavar="PATH",
        help="read the bearer token (opencode: the server password) from this file (else env HOODY_TOKEN)",
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    parser.add_argument(
        "--backend", choices=KINDS, default=None,
        help="the kind of server: hoody (the workspace API), opencode (opencode serve), or auto (the default) "
             "to ask the server",
    )
    parser.add_argument("--profile", help="a profile of the config file (env HOODY_PROFILE)")
    parser.add_argument(
        "--api-prefix", default=None, metavar="PREFIX",
        help="API prefix: /api/v1 (default), /api/v1/agent, or auto to probe",
    )
    parser.add_argument("--demo", action="store_true", help="start the bundled reference server and connect to it")
    parser.add_argument("--seed", type=int, default=1, help="scenario seed for --demo (default 1)")
    parser.add_argument("--theme", help="Textual theme, e.g. textual-dark, textual-light, nord")
    parser.add_argument(
        "--audit-log", type=Path, metavar="PATH",
        help="where to append one JSON line per gate decision (default: the XDG state dir)",
    )
    parser.add_argument("--no-bell", action="store_true", help="do not ring the terminal bell when a gate arrives")
    parser.add_argument(
        "--log-file", type=Path, metavar="PATH",
        help="write a redacted debug log here (rotated at 5 MB), for bug reports",
    )
    parser.add_argument(
        "--notify", action="store_true",
        help="also send a desktop notification (OSC 9 / OSC 777) when a gate arrives",
    )
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hoody-tui")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from . import __version__

        return __version__


def resolve_target(args: argparse.Namespace) -> Target:
    """Where to connect: flags first, then ``HOODY_*`` variables, then the profile
    (``--profile``, ``HOODY_PROFILE`` or the file's ``default_profile``)."""
    env = environment()
    path, named = config_path_from(env)
    config = load_config_file(path, required=named)
    profile_name = args.profile or env.profile or config.default_profile
    if profile_name and profile_name not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none defined"
        raise UsageError(f"no profile {profile_name!r} in {path} (profiles: {known})")
    profile = config.profiles.get(profile_name or "", Profile())
    url = (args.url or env.url or profile.url or "").strip()
    workspace = (args.workspace or env.workspace or profile.workspace or "").strip()
    backend = args.backend or profile.backend or "auto"
    if backend not in KINDS:
        raise UsageError(f"unknown backend {backend!r} in the profile (known: {', '.join(KINDS)})")
    # Without a URL, name the workspace too (most servers need one); with one, a server
    # that turns out to need a workspace says so once it is known (MissingWorkspace).
    missing = [
        name for name, value in (("HOODY_URL (or --url)", url), ("HOODY_WORKSPACE (or --workspace)", workspace))
        if not value and (name.startswith("HOODY_URL") or not url or backend in NEEDS_WORKSPACE)
    ]
    if missing:
        raise UsageError(
            "no server configured: set " + " and ".join(missing)
            + ", and HOODY_TOKEN or --token-file if the server needs a token (or a profile in "
            + f"{path}); or run `hoody-tui --demo` to try it with the bundled reference server"
        )
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"the server URL must start with http:// or https:// (got {url!r})")
    if args.token_file is not None:
        token: str | None = read_token_file(args.token_file)
    elif env.token is not None and env.token.get_secret_value().strip():
        token = env.token.get_secret_value().strip()
    elif profile.token_file is not None:
        token = read_token_file(profile.token_file)
    elif profile.token is not None:
        token = profile.token.get_secret_value().strip() or None
        warning = private_file_warning(path)
        if warning:
            print(f"{PROG}: {warning} (it holds a token)", file=sys.stderr)
    elif backend in ("opencode", "auto") and os.environ.get("OPENCODE_SERVER_PASSWORD", "").strip():
        # An opencode user's own variable: the password the server was started with.
        token = os.environ["OPENCODE_SERVER_PASSWORD"].strip()
    else:
        token = None
    for token_path in (args.token_file, profile.token_file):
        if token_path is not None:
            warning = private_file_warning(token_path.expanduser())
            if warning:
                print(f"{PROG}: {warning}", file=sys.stderr)
    return Target(
        url, workspace, token, bool(args.insecure or profile.insecure),
        args.api_prefix or profile.api_prefix or "/api/v1",
        args.theme or profile.theme or config.theme, backend, dict(config.keys),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    server = None
    try:
        if args.demo:
            from .demo import start_demo_server

            server = start_demo_server(seed=args.seed)
            path, named = config_path_from(environment())
            keys = load_config_file(path, required=named).keys
            target = Target(server.url, server.workspace, None, False, "/api/v1", args.theme, "hoody", dict(keys))
        else:
            target = resolve_target(args)
        from .gates.audit import default_audit_path
        from .ui.app import AppOptions, HoodyApp
        from .ui.keys import check_keymap

        for problem in check_keymap(target.keys):
            print(f"{PROG}: {problem}; ignored", file=sys.stderr)
        options = AppOptions(
            insecure=target.insecure, theme=target.theme, server_label="demo" if args.demo else None,
            audit_log=(args.audit_log or default_audit_path()).expanduser(),
            bell=not args.no_bell, desktop_notifications=args.notify, tune_gc=True,
            keymap={k: v for k, v in target.keys.items() if not check_keymap({k: v})},
            secrets=(target.token,) if target.token else (),
        )
        if args.log_file:
            from .diagnostics import Redactor, setup_log_file

            setup_log_file(args.log_file.expanduser(), Redactor(target.token))
        backend = asyncio.run(connect(Connection(
            target.url, target.workspace, target.token, target.insecure, target.api_prefix, target.backend,
        )))
        app = HoodyApp(options, backend=backend)
        if target.theme and target.theme not in app.available_themes:
            raise UsageError(f"unknown theme {target.theme!r}; try one of: {', '.join(sorted(app.available_themes))}")
        app.run()
        return app.return_code or 0
    except (UsageError, MissingWorkspace) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
