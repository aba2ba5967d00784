"""The command line as a second face of the workspace service: ``hoody-tui pending``,
``approve``, ``reject``, ``answer``, ``sessions`` and ``events``, for scripts, hooks and
phones (over ssh).

Same sources as the dashboard (flags, ``HOODY_*``, profiles, every backend); results on
stdout (tables, or JSON with ``--json``), everything else as one readable line on
stderr; the exit status says how it ended (:mod:`.exits`). No Textual here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..api.errors import HoodyError
from ..backends import Connection
from . import commands
from .exits import CommandFailed, Exit, exit_for
from .output import say
from .parser import COMMANDS, add_commands
from .sources import Sources

__all__ = ["run", "add_commands", "COMMANDS"]


async def _dispatch(args: argparse.Namespace, connections: Sequence[Connection], audit: Path | None) -> Exit:
    sources = await Sources.open(connections, audit=audit)
    try:
        name = args.command
        if name == "pending":
            if args.wait:
                return await commands.wait_for_gates(sources, as_json=args.json, timeout=args.timeout)
            if args.timeout is not None:
                raise CommandFailed("--timeout goes with --wait", Exit.USAGE)
            return await commands.pending(sources, as_json=args.json)
        if name in ("approve", "reject", "answer"):
            verdict = commands.Verdict(
                name, always=getattr(args, "always", False), message=getattr(args, "message", None),
                options=tuple(getattr(args, "options", None) or ()), text=getattr(args, "text", None),
                generation=args.generation,
            )
            return await commands.decide(sources, args.id, verdict)
        if name == "sessions":
            return await commands.sessions(sources, as_json=args.json)
        if name == "events":
            return await commands.events(sources, as_json=args.json, types=args.types)
        raise CommandFailed(f"unknown command {name!r}", Exit.USAGE)  # pragma: no cover - argparse checks
    finally:
        await sources.aclose()


def run(args: argparse.Namespace, connections: Sequence[Connection], *, audit: Path | None) -> int:
    """Run the subcommand ``args.command`` against ``connections``; the exit status."""
    try:
        return int(asyncio.run(_dispatch(args, connections, audit)))
    except CommandFailed as failed:
        if failed.message:
            first, *rest = failed.message.split("\n")
            say(first)
            for line in rest:  # a usage failure's list of choices, as it was laid out
                sys.stderr.write(line + "\n")
        return int(failed.code)
    except HoodyError as exc:
        say(str(exc))
        return int(exit_for(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(Exit.OK)
