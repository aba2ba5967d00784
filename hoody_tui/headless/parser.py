"""The subcommands' command lines, and their help, written to read like man pages."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .exits import EXIT_STATUS_HELP

__all__ = ["add_commands", "COMMANDS"]

COMMANDS = ("pending", "approve", "reject", "answer", "sessions", "events")

_SOURCES = """\
sources:
  The server comes from the same settings as the dashboard: --url/--workspace/--backend,
  HOODY_URL, HOODY_WORKSPACE, HOODY_TOKEN (or --token-file; an opencode server's password
  also from OPENCODE_SERVER_PASSWORD), or a profile of the config file. Repeat --profile,
  or pass --all-profiles, to look at several servers at once: each line then names its
  source, and a gate is found by its id in whichever one has it."""

_PENDING = """\
List the gates waiting for a decision now (permission requests and questions), oldest
first: the id to decide it by, its kind, session, tool, the command or question, how
long it has waited, and why it may be risky.

With --wait, block until at least one gate is pending, then list them and exit 0: the
building block of a notification hook. While waiting, the live event stream of every
source is followed, and reconnected after a drop as the dashboard does."""

_PENDING_EXAMPLES = """\
examples:
  hoody-tui pending
  hoody-tui pending --json | jq -r '.[] | "\\(.id) \\(.subject)"'
  hoody-tui pending --wait --timeout 600 && notify-send "an agent is waiting for you"

--json prints one array of objects: id, kind (permission|question), source, session,
session_title, agent, tool, subject, command, patterns, always, age_s, created_ms, risk
(a list of reasons), generation (gateway gates), and for a question its questions with
their options (what answer --option N picks)."""

_DECIDE = """\
Decide one gate by its id (as `hoody-tui pending` lists it). The decision is sent once and
never retried: a gate already decided (here, in a dashboard, or by a teammate) or unknown
exits 3 and says so; a reply the server did not answer is checked with a listing, never
sent again. Every decision is appended to the audit log, marked as made from the command
line (via "cli")."""

_APPROVE = _DECIDE + """

approve allows the call once; with --always, also every later call its patterns match
(opencode and the workspace API: the request's "always" patterns; the gateway: the
directories it names)."""

_REJECT = _DECIDE + """

reject denies a permission request (with --message, the agent is told why and, on most
servers, continues), or rejects a question (--message is the reason, where the server
takes one)."""

_ANSWER = _DECIDE + """

answer answers a question: with one of its options (--option N, 1 for the first, as
`hoody-tui pending` lists them; repeat it where several may be chosen; PART:N for a
question of several parts), or with text of your own (--text)."""

_DECIDE_EXAMPLES = """\
examples:
  hoody-tui approve per_8f2c1a
  hoody-tui approve per_8f2c1a --always
  hoody-tui reject per_8f2c1a --message "use the staging database"
  hoody-tui answer que_19b7 --option 2
  hoody-tui answer que_19b7 --text "Postgres 16"
"""

_SESSIONS = """\
List the sessions with their status (needs-you: a gate waits on it; busy; idle), title,
agent, model, cost and pending gates; the ones waiting on you first, then the busy ones,
then the most recently updated."""

_SESSIONS_EXAMPLES = """\
examples:
  hoody-tui sessions
  hoody-tui sessions --json | jq '[.[] | select(.status == "needs-you")] | length'

--json prints one array of objects: id, source, title, status, agent, model, cost,
pending_gates, parent_id, updated_ms."""

_EVENTS = """\
Print the live events as they arrive, until interrupted (Ctrl-C). With --json, stdout
holds only JSON lines, one per event: {"type", "source", "time", "properties"}, each
flushed as it is written, so a pipe sees it at once. Heartbeats are left out unless a
--type names them.

A dropped connection is reconnected with the dashboard's backoff (said on stderr); after
it, one line of type "hoody.resync" says that what happened meanwhile was not streamed:
list again (hoody-tui pending) before trusting a count built from the events."""

_EVENTS_EXAMPLES = """\
examples:
  hoody-tui events
  hoody-tui events --json --type 'permission.*' --type question.asked
  hoody-tui events --json | jq -c 'select(.type == "session.status")'"""


def add_commands(
    subparsers: argparse._SubParsersAction,
    add_shared: Callable[[argparse._ArgumentGroup], None],
) -> None:
    """The headless subcommands; ``add_shared`` adds the connection options to each."""

    def command(name: str, summary: str, description: str, examples: str) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(
            name, help=summary, description=description,
            epilog=f"{examples}\n\n{_SOURCES}\n\n{EXIT_STATUS_HELP}",
            formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
        )
        made.append(parser)
        return parser

    made: list[argparse.ArgumentParser] = []

    pending = command("pending", "list the gates waiting for you (--wait: until one is)", _PENDING, _PENDING_EXAMPLES)
    pending.add_argument("--json", action="store_true", help="print one JSON array (see below)")
    pending.add_argument("--wait", action="store_true", help="block until at least one gate is pending")
    pending.add_argument("--timeout", type=_seconds, metavar="S",
                         help="with --wait: give up after S seconds, with exit status 5")

    approve = command("approve", "allow a permission request by its id", _APPROVE, _DECIDE_EXAMPLES)
    approve.add_argument("id", help="the gate's id (hoody-tui pending)")
    approve.add_argument("--always", action="store_true",
                         help="allow this and every later call its patterns match")
    _generation(approve)

    reject = command("reject", "reject a permission request or a question by its id", _REJECT, _DECIDE_EXAMPLES)
    reject.add_argument("id", help="the gate's id (hoody-tui pending)")
    reject.add_argument("--message", metavar="M", help="tell the agent why (a question: the reason)")
    _generation(reject)

    answer = command("answer", "answer a question by its id", _ANSWER, _DECIDE_EXAMPLES)
    answer.add_argument("id", help="the question's id (hoody-tui pending)")
    how = answer.add_mutually_exclusive_group(required=True)
    how.add_argument("--option", action="append", metavar="N", dest="options",
                     help="choose option N (1-based; PART:N for a question of several parts); repeatable")
    how.add_argument("--text", metavar="T", help="answer with this text")
    _generation(answer)

    sessions = command("sessions", "list the sessions", _SESSIONS, _SESSIONS_EXAMPLES)
    sessions.add_argument("--json", action="store_true", help="print one JSON array (see below)")

    events = command("events", "print the live events, one per line", _EVENTS, _EVENTS_EXAMPLES)
    events.add_argument("--json", action="store_true", help="one JSON object per line (see below)")
    events.add_argument("--type", action="append", default=[], metavar="T", dest="types",
                        help="only events of type T (a glob: 'permission.*'); repeatable")
    for parser in made:  # after each command's own options, which its help lists first
        add_shared(parser.add_argument_group("server (the same options as the dashboard's)"))


def _generation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generation", type=int, metavar="G",
                        help="refuse (exit 3) unless the gate is still at generation G, as listed "
                             "(servers whose gates have one: the gateway)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    return value
