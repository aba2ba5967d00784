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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backends import KINDS, NEEDS_WORKSPACE, Connection, MissingWorkspace, connect, create
from .config import (
    ConfigError,
    ConfigFile,
    EnvSettings,
    Profile,
    config_path_from,
    environment,
    load_config_file,
    private_file_warning,
    read_token_file,
)

if TYPE_CHECKING:
    from .web.run import ServedSources

__all__ = ["main", "build_parser", "Target", "resolve_target", "resolve_targets", "UsageError"]

PROG = "hoody-tui"


UsageError = ConfigError

DETECT_DEADLINE = 4.0
"""Seconds the dashboard waits for a server of several to say what kind it is."""


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
    name: str | None = None
    """The profile it comes from (the source's name when there are several)."""

    def connection(self) -> Connection:
        return Connection(self.url, self.workspace, self.token, self.insecure, self.api_prefix, self.backend,
                          label=self.name)

    def __repr__(self) -> str:  # never show the token
        return (
            f"Target(url={self.url!r}, workspace={self.workspace!r}, token={'set' if self.token else 'none'}, "
            f"insecure={self.insecure}, api_prefix={self.api_prefix!r}, backend={self.backend!r})"
        )


class _NoTokenFlag(argparse.Action):
    """``--token``: refused with where a token goes instead, never echoing the value (a
    flag's value shows in the process list and the shell history)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser.error("there is no --token flag (a token in the arguments shows in the process list and the shell "
                     "history): set HOODY_TOKEN, or use --token-file PATH")


def _connection_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, after_command: bool = False) -> None:
    """Where the server is and how to reach it: the same for the dashboard and every
    command. After a command name they default to "not given", so a value given before
    the command (``hoody-tui --profile work pending``) is kept."""
    quiet: dict[str, Any] = {"default": argparse.SUPPRESS} if after_command else {}
    parser.add_argument("--token", nargs="?", action=_NoTokenFlag, help=argparse.SUPPRESS)
    parser.add_argument("--url", help="server URL, e.g. https://api.hoody.com (env HOODY_URL)", **quiet)
    parser.add_argument(
        "--workspace",
        help="workspace id (env HOODY_WORKSPACE); for opencode, the project directory (default: the server's own)",
        **quiet,
    )
    parser.add_argument(
        "--token-file", type=Path, metavar="PATH",
        help="read the bearer token (opencode: the server password) from this file (else env HOODY_TOKEN)", **quiet,
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate", **quiet)
    parser.add_argument(
        "--backend", choices=KINDS,
        help="the kind of server: hoody (the workspace API), opencode (opencode serve), gateway (hoody-agent-d), "
             "or auto (the default) to ask the server", **quiet,
    )
    parser.add_argument(
        "--profile", action="append", dest="profile_after" if after_command else "profile", metavar="NAME",
        help="a profile of the config file (env HOODY_PROFILE); repeat it for several servers", **quiet,
    )
    parser.add_argument("--all-profiles", action="store_true", help="every profile of the config file", **quiet)
    parser.add_argument(
        "--api-prefix", metavar="PREFIX",
        help="API prefix: /api/v1 (default), /api/v1/agent, or auto to probe", **quiet,
    )
    parser.add_argument("--demo", action="store_true", help="start the bundled reference server and connect to it",
                        **quiet)
    parser.add_argument("--seed", type=int, help="scenario seed for --demo (default 1)", **quiet)
    parser.add_argument(
        "--audit-log", type=Path, metavar="PATH",
        help="where to append one JSON line per gate decision (default: the XDG state dir)", **quiet,
    )
    parser.add_argument(
        "--log-file", type=Path, metavar="PATH",
        help="write a redacted debug log here (rotated at 5 MB), for bug reports", **quiet,
    )


def build_parser() -> argparse.ArgumentParser:
    from .headless import add_commands
    from .headless.exits import EXIT_STATUS_HELP
    from .web import add_serve_command

    parser = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,  # `--token x` must not silently mean `--token-file x`
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=("Terminal dashboard for AI agent servers (a hoody-agent workspace, its gateway, or opencode "
                     "serve): sessions, live streams, jobs, loops and gates.\n\nWithout a command it opens the "
                     "dashboard; `serve` shows it in a web browser; the other commands below do one thing and "
                     "exit, for scripts, hooks and ssh (`hoody-tui COMMAND --help`)."),
        epilog=(
            "environment:\n  HOODY_URL, HOODY_WORKSPACE, HOODY_TOKEN, HOODY_PROFILE, HOODY_CONFIG (the config file);\n"
            "  an opencode server's password also from OPENCODE_SERVER_PASSWORD (user OPENCODE_SERVER_USERNAME,\n"
            "  default opencode); a gateway's claim from HOODY_CONTAINER_CLAIM.\n\n"
            f"{EXIT_STATUS_HELP}\n\n"
            "Try `hoody-tui --demo` to see it with the bundled reference server."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _connection_options(parser)
    parser.add_argument("--theme", help="Textual theme, e.g. textual-dark, textual-light, nord")
    parser.add_argument("--no-bell", action="store_true", help="do not ring the terminal bell when a gate arrives")
    parser.add_argument(
        "--notify", action="store_true",
        help="also send a desktop notification (OSC 9 / OSC 777) when a gate arrives",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    add_commands(commands, lambda sub: _connection_options(sub, after_command=True))
    add_serve_command(commands, lambda sub: _connection_options(sub, after_command=True))
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hoody-tui")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from . import __version__

        return __version__


def profile_names(args: argparse.Namespace, env: EnvSettings, config: ConfigFile, path: Path) -> list[str | None]:
    """The profiles to open: ``--profile`` (repeatable) or ``--all-profiles``, else
    ``HOODY_PROFILE``, else the file's ``sources`` (when no URL is given), else its
    ``default_profile``; ``[None]`` for none (flags and ``HOODY_*`` alone)."""
    given = [*(getattr(args, "profile", None) or []), *(getattr(args, "profile_after", None) or [])]
    if getattr(args, "all_profiles", False):
        if given:
            raise UsageError("--all-profiles and --profile: pass one or the other")
        if not config.profiles:
            raise UsageError(f"--all-profiles: there are no profiles in {path}")
        given = list(config.profiles)
    elif not given:
        if env.profile:
            given = [env.profile]
        elif config.sources and not (args.url or env.url):
            given = list(config.sources)
        elif config.default_profile:
            given = [config.default_profile]
    names = list(dict.fromkeys(given))  # a name given twice is one source
    for name in names:
        if name not in config.profiles:
            known = ", ".join(sorted(config.profiles)) or "none defined"
            raise UsageError(f"no profile {name!r} in {path} (profiles: {known})")
    if len(names) > 1:
        single = [flag for flag, value in (("--url", args.url), ("--workspace", args.workspace),
                                           ("--token-file", args.token_file), ("--api-prefix", args.api_prefix),
                                           ("--backend", args.backend)) if value]
        if single:
            raise UsageError(f"{', '.join(single)} name one server: with several profiles, set it in each profile")
    return names or [None]


def resolve_targets(args: argparse.Namespace) -> list[Target]:
    """Every server to connect to, one per profile (see :func:`profile_names`)."""
    env = environment()
    path, named = config_path_from(env)
    config = load_config_file(path, required=named)
    names = profile_names(args, env, config, path)
    if len(names) == 1:
        return [resolve_target(args, names[0], env=env, config=config, path=path)]
    # Several servers: each profile's own settings. HOODY_URL/WORKSPACE/TOKEN name one
    # server, so they are not applied to all of them.
    alone = EnvSettings.model_construct(url=None, workspace=None, token=None, profile=None, config=None)
    return [resolve_target(args, name, env=alone, config=config, path=path) for name in names]


def resolve_target(
    args: argparse.Namespace,
    profile_name: str | None = None,
    *,
    env: EnvSettings | None = None,
    config: ConfigFile | None = None,
    path: Path | None = None,
) -> Target:
    """Where to connect: flags first, then ``HOODY_*`` variables, then the profile
    (``profile_name``, else ``--profile``, ``HOODY_PROFILE`` or the file's ``default_profile``)."""
    if env is None or config is None or path is None:
        env = environment()
        path, named = config_path_from(env)
        config = load_config_file(path, required=named)
        names = profile_names(args, env, config, path)
        if len(names) > 1:
            raise UsageError("this takes one server: pass one --profile")
        profile_name = names[0]
    profile = config.profiles.get(profile_name or "", Profile())
    url = (args.url or env.url or profile.url or "").strip()
    workspace = (args.workspace or env.workspace or profile.workspace or "").strip()
    backend = args.backend or profile.backend or "auto"
    where = f"profile {profile_name!r}: " if profile_name else ""
    if backend not in KINDS:
        raise UsageError(f"{where}unknown backend {backend!r} (known: {', '.join(KINDS)})")
    # Without a URL, name the workspace too (most servers need one); with one, a server
    # that turns out to need a workspace says so once it is known (MissingWorkspace).
    missing = [
        name for name, value in (("HOODY_URL (or --url)", url), ("HOODY_WORKSPACE (or --workspace)", workspace))
        if not value and (name.startswith("HOODY_URL") or not url or backend in NEEDS_WORKSPACE)
    ]
    if missing:
        if profile_name:
            fields = " or ".join(m.split(" ")[0].removeprefix("HOODY_").lower() for m in missing)
            raise UsageError(f"{where}it has no {fields} in {path}")
        raise UsageError(
            "no server configured: set " + " and ".join(missing)
            + ", and HOODY_TOKEN or --token-file if the server needs a token (or a profile in "
            + f"{path}); or run `hoody-tui --demo` to try it with the bundled reference server"
        )
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{where}the server URL must start with http:// or https:// (got {url!r})")
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
        getattr(args, "theme", None) or profile.theme or config.theme, backend, dict(config.keys), profile_name,
    )


def _demo_target(args: argparse.Namespace) -> tuple[Target, Any]:
    from .demo import demo_server

    server = demo_server(seed=args.seed or 1)
    path, named = config_path_from(environment())
    keys = load_config_file(path, required=named).keys
    return Target(server.url, server.workspace, None, False, "/api/v1", getattr(args, "theme", None), "hoody",
                  dict(keys), "demo"), server


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from .web import serve

        return serve(args, _served_sources)
    if args.command is not None:
        return _run_command(args)
    return _run_dashboard(args)


def _served_sources(args: argparse.Namespace) -> ServedSources:
    """For ``hoody-tui serve``: the servers resolved as the dashboard does (a bad setting
    fails here, once, not in every tab), or one demo server every tab shares."""
    from .web.run import ServedSources

    if args.demo:
        from .demo import shared_environment

        _, server = _demo_target(args)
        return ServedSources((), shared_environment(server), server.stop)
    return ServedSources(tuple(t.token for t in resolve_targets(args) if t.token))


def _with_targets(args: argparse.Namespace, body: Callable[[list[Target]], int]) -> int:
    """Resolve the servers (the demo's own, or the flags and profiles), start the log file,
    and run ``body`` with them; a usage problem is one line on stderr and exit status 2."""
    server = None
    try:
        if args.demo:
            target, server = _demo_target(args)
            targets = [target]
        else:
            targets = resolve_targets(args)
        if args.log_file:
            from .diagnostics import Redactor, setup_log_file

            setup_log_file(args.log_file.expanduser(), Redactor(*(t.token for t in targets if t.token)))
        return body(targets)
    except (UsageError, MissingWorkspace) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if server is not None:
            server.stop()


def _run_command(args: argparse.Namespace) -> int:
    from .gates.audit import default_audit_path
    from .headless import run

    return _with_targets(args, lambda targets: run(
        args, [t.connection() for t in targets], audit=(args.audit_log or default_audit_path()).expanduser()))


def _run_dashboard(args: argparse.Namespace) -> int:
    return _with_targets(args, lambda targets: _dashboard(args, targets))


def _dashboard(args: argparse.Namespace, targets: list[Target]) -> int:
    from .gates.audit import default_audit_path
    from .ui.app import AppOptions, HoodyApp
    from .ui.keys import check_keymap

    first = targets[0]
    for problem in check_keymap(first.keys):
        print(f"{PROG}: {problem}; ignored", file=sys.stderr)
    options = AppOptions(
        insecure=any(t.insecure for t in targets), theme=first.theme, server_label="demo" if args.demo else None,
        audit_log=(args.audit_log or default_audit_path()).expanduser(),
        bell=not args.no_bell, desktop_notifications=args.notify, tune_gc=True,
        keymap={k: v for k, v in first.keys.items() if not check_keymap({k: v})},
        secrets=tuple(t.token for t in targets if t.token),
    )
    if len(targets) == 1:
        backend = asyncio.run(connect(replace(first.connection(), label=None)))
        app = HoodyApp(options, backend=backend)
    else:
        app = HoodyApp(options, inbox=_inbox(targets, options.audit_log))
    if first.theme and first.theme not in app.available_themes:
        raise UsageError(f"unknown theme {first.theme!r}; try one of: {', '.join(sorted(app.available_themes))}")
    app.run()
    return app.return_code or 0


def _inbox(targets: Sequence[Target], audit_log: Path | None) -> Any:
    """One workspace service per profile, in one inbox. Each server is asked what it is
    at once (``auto``), all together: one that does not answer is taken as the workspace
    API and keeps being retried in the dashboard, beside the others."""
    from .core.inbox import Inbox
    from .core.service import WorkspaceService
    from .gates.audit import AuditLog

    async def one(target: Target) -> Any:
        connection = target.connection()
        try:
            try:
                # A server that does not answer at all must not keep the others waiting:
                # past the deadline it is taken as the workspace API, as `auto` does when
                # no health route answers, and retried in the dashboard.
                return await asyncio.wait_for(connect(connection), DETECT_DEADLINE)
            except TimeoutError:
                return create(connection, "hoody")
        except MissingWorkspace:
            if target.backend != "auto":
                raise UsageError(f"profile {target.name!r}: the workspace API needs a workspace id") from None
            raise UsageError(
                f"profile {target.name!r}: no server at {target.url} said what it is, and without a workspace it "
                'cannot be the workspace API: set backend = "opencode" or "gateway" in the profile (or its '
                "workspace)") from None

    async def connect_all() -> list[Any]:
        return list(await asyncio.gather(*(one(t) for t in targets)))

    backends = asyncio.run(connect_all())
    audit = AuditLog(audit_log)
    return Inbox([(t.name or t.url, WorkspaceService(backend, audit=audit, source=t.name or t.url))
                  for t, backend in zip(targets, backends, strict=True)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
