"""Telling the person what needs them: new gates, a connection that fails, a session's
error. One line in the flash line (never a stack of popups over the gate being read),
the bell, the terminal title, and optional desktop notifications.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..api.permissions import PermissionRequest
from ..core.decisions import describe_gate
from ..events.items import ConnectionState
from ..store.changes import Gate
from ..text import neutralise, shorten
from .notify import desktop_notification, set_terminal_title

if TYPE_CHECKING:
    from ..core.inbox import Source
    from .app import HoodyApp

__all__ = ["Alerts"]


class Alerts:
    def __init__(self, app: HoodyApp) -> None:
        self.app = app
        self.title = ""
        self.been_live: set[int] = set()
        """The sources whose stream has been live at least once (start-up failures are told apart)."""

    def _source(self, source: Source | None) -> Source:
        return source or self.app.inbox.primary

    def _where(self, session_id: str | None, limit: int = 40, source: Source | None = None) -> str:
        source = self._source(source)
        where = source.service.session_title(session_id or "", limit) if session_id else "workspace"
        return f"{where} · {source.label}" if self.app.inbox.several else where

    def _prefix(self, source: Source) -> str:
        """``work: `` before a sentence about one source, when there are several."""
        return f"{source.label}: " if self.app.inbox.several else ""

    def gates_arrived(self, gates: Sequence[Gate], *, listed: bool, watching: bool, source: Source | None = None) -> None:
        """New gates: the bell, and one line (not while the person is on the gates view)."""
        options = self.app.options
        source = self._source(source)
        if not gates:
            return
        if options.bell:
            self.app.bell()
        if options.desktop_notifications:
            for gate in gates[:3]:
                desktop_notification(self.app, f"hoody-tui: {self._where(gate.session_id, source=source)}",
                                     describe_gate(gate, 120))
        if watching or not options.gate_notices:
            return
        if len(gates) > 1:
            verb = "are waiting" if listed else "arrived"
            self.app.notify(f"{self._prefix(source)}{len(gates)} gates {verb} for you · press 4 to decide",
                            severity="warning", topic="gate-arrived")
            return
        gate = gates[0]
        kind = "Permission" if isinstance(gate, PermissionRequest) else "Question"
        self.app.notify(
            f"{kind} waiting in “{self._where(gate.session_id, 30, source)}” · press 4 · {describe_gate(gate, 60)}",
            severity="warning", topic="gate-arrived",
        )

    def terminal_title(self, pending: int) -> None:
        """A count of waiting gates in the terminal's title, to be seen from afar."""
        title = f"({pending}) hoody-tui" if pending else "hoody-tui"
        if title != self.title:
            self.title = title
            set_terminal_title(self.app, title)

    def session_errors(self, errors: Sequence[tuple[str | None, str]], source: Source | None = None) -> None:
        for session_id, text in errors[-3:]:
            where = self._where(session_id, 40, source)
            if "aborted" in text.lower():
                # The person (or another client) stopped the turn: not an error to them.
                self.app.notify(f"Aborted: the turn of “{where}” was stopped.")
            else:
                self.app.notify(f"Error in “{where}”: {neutralise(shorten(text, 200))}", severity="error")

    def connection(self, state: ConnectionState, source: Source | None = None) -> None:
        """Say once what stops a connection; the status bar keeps counting the attempts."""
        source = self._source(source)
        backend = source.backend
        first = self._prefix(source)
        if state.phase == "live":
            self.been_live.add(source.index)
        elif state.phase == "unauthorized":
            caps = backend.capabilities
            self.app.notify(f"{first}The server rejected the {caps.credential}: {caps.credential_help}, then restart.",
                            title=f"{caps.credential.capitalize()} rejected", severity="error", timeout=30)
        elif state.phase == "forbidden":
            self.app.notify(
                f"{first}The token is valid but may not open workspace {backend.scope} (HTTP 403): check --workspace "
                "(or HOODY_WORKSPACE) and that the token has access to it, then restart. Not retrying.",
                title="Access forbidden", severity="error", timeout=30,
            )
        elif state.phase == "failed" and "not found" in (state.reason or "").lower():
            self.app.notify(
                f"{first}workspace '{backend.scope}' not found on {backend.server} ({state.reason}): check --workspace "
                "(or HOODY_WORKSPACE), and --api-prefix if the server mounts the API elsewhere. Not retrying.",
                title="Workspace not found", severity="error", timeout=60,
            )
        elif state.phase == "reconnecting" and state.attempt == 1 and source.index not in self.been_live:
            reason = state.reason or "The server cannot be reached"
            check = " Check --url (or HOODY_URL);" if "cannot reach" in reason or "timed out" in reason else ""
            if self.app.inbox.several:
                check = " The other sources go on;"
            self.app.notify(f"{first}{reason}. Still trying (the status bar shows the next attempt).{check} q quits.",
                            title="Cannot connect", severity="error", timeout=30)
