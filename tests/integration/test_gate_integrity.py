"""Decision integrity under interleaving (issue: gates).

The decision-integrity property (``tests/ui/integrity.py``: every deciding gesture and
view key, interleaved with gates raised and answered by another client) against the
real reference server and the whole app over real sockets; the same property runs over
the fake backend in ``tests/ui/test_decision_integrity.py``.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings

from hoody_tui.api import NotFound
from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.refserver.runner import start_in_thread

from ..ui.integrity import operations, run_property
from .helpers import live_app, until

KIND_OF = {"permission.reply": None, "question.reply": "answer", "question.reject": "reject-question"}


class RefWorld:
    """The reference server as the property's world: gates raised on it, answered by
    another client, and the app's replies read from the server's own log."""

    def __init__(self, server, other: HoodyClient, sessions: list[str], before: int) -> None:
        self.server = server
        self.other = other
        self.sessions = sessions
        self.before = before
        self.app = live_app(server, gate_notices=False, gate_settle=0.3)
        self.n = 0

    async def ask(self, kind: str) -> str | None:
        self.n += 1
        sid = self.sessions[self.n % len(self.sessions)]
        if kind == "question":
            gate = self.server.call(self.server.state.raise_question, sid, f"Which {self.n}?", ["x", "y"])
        else:
            command = f"echo {self.n}"
            gate = self.server.call(self.server.state.raise_permission, sid, "bash", [command], [], {"command": command})
        return gate["id"]

    async def elsewhere(self, index: int) -> str | None:
        pending = [p for p in await self.other.pending_permissions() if p.session_id in self.sessions]
        if not pending:
            return None
        target = pending[index % len(pending)]
        try:  # "once": a reject would also reject the session's other requests
            await self.other.reply_permission(target.id, "once", "elsewhere")
        except NotFound:
            return None  # the app answered it first
        return target.id

    async def stale(self, take: bool) -> None:
        return None  # the fake world covers stale listings; this server lists what is true

    async def sent(self) -> list[tuple[str, str]]:
        log = self.server.call(lambda: list(self.server.state.replies))[self.before:]
        ours = [r for r in log if not (isinstance(r["body"], dict) and r["body"].get("message") == "elsewhere")]
        return [(r["requestID"], KIND_OF[r["kind"]] or r["body"]["reply"]) for r in ours]


@pytest.fixture(scope="module")
def shared_server():
    server = start_in_thread(scenario="none", seed=7)
    yield server
    server.stop()


async def run_example(server, ops) -> None:
    sessions = [server.call(server.state.create_session, f"S{i}")["id"] for i in range(3)]
    before = len(server.call(lambda: server.state.replies))
    async with HoodyClient(server.url, server.workspace) as other:
        world = RefWorld(server, other, sessions, before)
        async with world.app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: all(s in world.app.store.sessions for s in sessions))
            await run_property(world, pilot, ops)
    # And no gate was accepted twice by the server, whoever answered.
    log = server.call(lambda: list(server.state.replies))[before:]
    accepted = Counter(r["requestID"] for r in log if r["status"] == 200)
    assert all(count == 1 for count in accepted.values())


@settings(max_examples=int(os.environ.get("HOODY_PROPERTY_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_each_decision_reaches_the_gate_that_was_shown(shared_server, ops):
    asyncio.run(run_example(shared_server, ops))


def test_a_key_right_after_the_gate_changed_is_refused(shared_server):
    """The gate the user was reading is answered elsewhere; the next one slides under the
    cursor; a key pressed before it could be read does nothing."""

    async def scenario():
        server = shared_server
        sid = server.call(server.state.create_session, "Race")["id"]
        first = server.call(server.state.raise_permission, sid, "bash", ["echo a"], [], {"command": "echo a"})
        before = len(server.call(lambda: server.state.replies))
        # A long settle time, so "at once" below stays inside it even on a loaded machine.
        app = live_app(server, gate_notices=False, gate_settle=3.0)
        async with HoodyClient(server.url, server.workspace) as other, app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: first["id"] in app.store.permissions)
            await pilot.press("4")
            await until(pilot, lambda: app.gates_view.detail.gate_id is not None)
            # Bring every other pending gate of earlier examples out of the way.
            for p in await other.pending_permissions():
                if p.id != first["id"]:
                    try:
                        await other.reply_permission(p.id, "once", "elsewhere")
                    except NotFound:
                        pass
            for q in await other.questions():
                try:
                    await other.reject_question(q.id, "elsewhere")
                except NotFound:
                    pass
            await until(pilot, lambda: app.gates_view.detail.gate_id == first["id"])
            second = server.call(server.state.raise_permission, sid, "bash", ["echo b"], [], {"command": "echo b"})
            await until(pilot, lambda: second["id"] in app.store.permissions)
            # "once", not "reject": a reject would also reject the session's other requests.
            await other.reply_permission(first["id"], "once", "elsewhere")
            await until(pilot, lambda: app.gates_view.detail.gate_id == second["id"])
            await pilot.press("y")  # at once: the user never saw the second gate
            await pilot.pause(0.1)
            assert second["id"] in app.store.permissions and app.ledger.state(second["id"]) is None
            await until(pilot, app.gates_view.detail.settled)
            await pilot.press("y")  # now it has been on screen: accepted
            await until(pilot, lambda: second["id"] not in app.store.permissions)
        ours = [r for r in server.call(lambda: list(server.state.replies))[before:]
                if "elsewhere" not in (r["body"].get("message"), r["body"].get("reason"))]
        assert [(r["requestID"], r["body"]) for r in ours] == [(second["id"], {"reply": "once"})]

    asyncio.run(scenario())
