"""What a kind of agent server is to hoody-tui: the :class:`Backend` protocol.

A backend knows one server's wire (its routes, its shapes, its auth) and speaks to the
rest of hoody-tui only in the records of :mod:`hoody_tui.api` and the items of
:mod:`hoody_tui.events`: a snapshot of the workspace for a resync, a stream of the
store's own event records, and the actions a person can take. What the server can do at
all is in :class:`Capabilities`, so the UI offers only what works (no dead keys, no
empty Jobs view on a server without jobs).

The workspace service and the App import this protocol, never a concrete backend;
:mod:`hoody_tui.backends` holds the implementations and picks one for a URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from ..api.cli_agent import CliAgentStarted
from ..api.jobs import BulkCancelResult, InjectResult, Job, JobCancelResult, JobPage, JobRetryResult
from ..api.loops import Loop, RecurringLoop, RecurringLoopSpec
from ..api.messages import MessageWithParts
from ..api.permissions import SessionPermissions
from ..api.sessions import FileDiff, Session, SessionSummary, Todo
from ..events.items import StreamItem
from ..store.state import Snapshot

__all__ = [
    "Backend",
    "Capabilities",
    "LoopKind",
    "RejectEffect",
    "PermissionReply",
    "JobStatusFilter",
    "Unsupported",
]

LoopKind = Literal["none", "directive", "recurring"]
"""``directive``: one loop per session that re-sends a prompt N times (the workspace API);
``recurring``: many scheduled loops per session (the gateway); ``none``: no loops."""

RejectEffect = Literal["stops-turn", "stops-turn-unless-message", "continues"]
"""What rejecting a permission does to the agent's turn."""

PermissionReply = Literal["once", "always", "reject"]
JobStatusFilter = Literal["active", "completed", "all"]


class Unsupported(Exception):
    """The backend cannot do this (the UI should not have offered it)."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a kind of server can do. The UI hides what is ``False``."""

    questions: bool = True
    jobs: bool = False
    loops: LoopKind = "none"
    cli_agent: bool = False
    rulesets: bool = False
    """The effective permission ruleset of a session can be read (the gate pane shows it)."""
    todo: bool = False
    diff: bool = False
    summary: bool = False
    abort: bool = False
    message_history: bool = True
    """A session's messages can be listed (a stream opens with its history)."""
    gate_generation: bool = False
    """A gate carries a generation, and a reply must echo the one that was on screen."""
    reject_effect: RejectEffect = "stops-turn"
    reject_rejects_siblings: bool = False
    """A reject also rejects the session's other pending requests."""
    tasks: bool = False
    """A session's background tasks are reported (the stream view shows them)."""
    reject_message: bool = True
    """A reject can carry a message for the agent (``N``)."""
    question_reject: bool = True
    """A question can be rejected (else it is answered, or its turn aborted)."""
    question_reject_reason: bool = True
    """A question's reject can carry a reason."""
    credential: str = "token"
    """What the server's secret is called to a person (a token, a password)."""
    credential_help: str = "set HOODY_TOKEN or use --token-file"
    """Where hoody-tui reads it from, said when the server rejects it."""
    persist_dirs: bool = False
    """"Always" on a gate persists the directories it names (the gateway's ``persist_dirs``),
    not the request's ``always`` patterns."""

    def reject_note(self) -> str:
        """What a reject does, said to the person about to press it."""
        if self.reject_effect == "stops-turn-unless-message":
            text = ("Reject denies this call. Without a message the agent's turn stops; with one (N) the "
                    "agent reads it and continues.")
        elif self.reject_effect == "continues":
            text = "Reject denies this call; the agent is told and continues its turn."
        else:
            text = "Reject denies this call and stops the agent's turn; a message (N) is passed to the agent."
        if self.reject_rejects_siblings:
            text += " On this server it also rejects the session's other pending requests."
        return text


@runtime_checkable
class Backend(Protocol):
    """One connected server (and, where it has them, one workspace of it).

    Every method raises :class:`~hoody_tui.api.errors.HoodyError` (with a sentence for a
    person) on failure, and :class:`Unsupported` for what ``capabilities`` rules out.
    Replies to gates are sent exactly once: a backend never retries them.
    """

    kind: str
    """The backend's name on the command line (``hoody``, ``opencode``, ``gateway``)."""
    server: str
    """The server's URL, as the audit log and the status bar name it (no credentials)."""
    scope: str
    """The workspace (an id, or a directory) within the server, or ``""``."""
    capabilities: Capabilities

    # --- reading ---------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        """Sessions, statuses and pending gates: enough to show the workspace (a resync)."""
        ...

    async def details(self, sessions: Sequence[Session]) -> tuple[list[Job], dict[str, Loop | None]]:
        """The active jobs and loops of (the most recent of) ``sessions``, listed after the
        workspace is shown. A backend without jobs or loops returns empty ones."""
        ...

    def events(self) -> AsyncIterable[StreamItem]:
        """The live events as the store's records, with connection states, a
        :class:`~hoody_tui.events.items.Resync` after every (re)connect and
        :class:`~hoody_tui.events.items.Malformed` for frames it skipped; forever."""
        ...

    async def messages(self, session_id: str) -> list[MessageWithParts]:
        """A session's messages, oldest first."""
        ...

    async def workspace_path(self) -> str | None:
        """The directory the agents work in, if the server says (risk marks use it)."""
        ...

    async def session_rules(self, session_id: str) -> SessionPermissions:
        ...

    async def todo(self, session_id: str) -> list[Todo]:
        ...

    async def diff(self, session_id: str) -> list[FileDiff]:
        ...

    async def summary(self, session_id: str) -> SessionSummary:
        ...

    # --- gates -----------------------------------------------------------------------

    async def reply_permission(
        self, gate_id: str, reply: PermissionReply, message: str | None = None, *, generation: int | None = None
    ) -> None:
        """Decide a permission request. A gate already decided elsewhere raises NotFound
        (or a Conflict with a "gone" code)."""
        ...

    async def answer_question(
        self, gate_id: str, answer: str | Sequence[Sequence[str]], *, generation: int | None = None
    ) -> None:
        """Answer a question: typed text, or the chosen labels of each of its items."""
        ...

    async def reject_question(self, gate_id: str, reason: str | None = None, *, generation: int | None = None) -> None:
        ...

    async def pending_gate_ids(self) -> set[str]:
        """The ids of every pending gate (to settle a reply whose fate is unknown)."""
        ...

    # --- sessions --------------------------------------------------------------------

    async def abort(self, session_id: str) -> None:
        ...

    # --- jobs ------------------------------------------------------------------------

    async def jobs_page(self, session_id: str, *, status: JobStatusFilter, limit: int, cursor: str | None) -> JobPage:
        ...

    async def job(self, session_id: str, job_id: str) -> Job:
        ...

    async def job_output(self, session_id: str, job_id: str) -> str:
        ...

    async def cancel_job(self, session_id: str, job_id: str) -> JobCancelResult:
        ...

    async def cancel_jobs(self, session_id: str, job_ids: Sequence[str]) -> BulkCancelResult:
        ...

    async def retry_job(self, session_id: str, job_id: str) -> JobRetryResult:
        ...

    async def inject_jobs(self, session_id: str, job_ids: Sequence[str] | None) -> InjectResult:
        ...

    # --- loops and CLI-agent runs ----------------------------------------------------

    async def loop(self, session_id: str) -> Loop | None:
        ...

    async def start_loop(self, session_id: str, prompt: str, iters: int) -> Loop:
        ...

    async def stop_loop(self, session_id: str) -> None:
        ...

    async def start_cli_agent(
        self, session_id: str, agent: str, prompt: str, *, model: str | None, git: bool | None, timeout_ms: int | None
    ) -> CliAgentStarted:
        ...

    def cli_agent_run(self, session_id: str, job_id: str) -> AsyncIterable[object]:
        """A CLI-agent run's items (snapshot, progress, complete, connection states) until it completes."""
        ...

    # --- recurring loops (capabilities.loops == "recurring") -----------------------------

    async def recurring_loops(self, session_id: str) -> list[RecurringLoop]:
        ...

    async def create_recurring_loop(self, session_id: str, spec: RecurringLoopSpec) -> RecurringLoop:
        ...

    async def update_recurring_loop(self, session_id: str, loop_id: str, intent: Mapping[str, object]) -> RecurringLoop:
        """Change one thing of a loop: exactly one intent, ``{"paused": bool}``,
        ``{"expires_in": "2h"}`` or ``{"max_cost_usd", "max_wall_ms"}``."""
        ...

    async def run_recurring_loop_now(self, session_id: str, loop_id: str) -> None:
        ...

    async def delete_recurring_loop(self, session_id: str, loop_id: str) -> None:
        ...

    async def aclose(self) -> None:
        ...
