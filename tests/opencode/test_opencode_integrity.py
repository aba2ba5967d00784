"""The decision-integrity property (``tests/ui/integrity.py``) against a real opencode
server: gates raised by its model, answered elsewhere by another client, interleaved with
every deciding gesture and view key pressed in the app. What the app sent is read off its
own HTTP transport (every request went to the real server over a socket, and the status
it got back is kept), so "a reply no keystroke made" and "a gate decided twice" are
checked against what really left the app."""

from __future__ import annotations

import asyncio
import itertools
import os

import pytest
from hypothesis import HealthCheck, given, settings

from ..ui.integrity import operations, run_property
from .app_helpers import RecordingTransport, opencode_app, until
from .server import OpencodeClient, OpencodeServer

pytestmark = pytest.mark.opencode

_numbers = itertools.count(1)


class OpencodeWorld:
    def __init__(self, server: OpencodeServer, other: OpencodeClient) -> None:
        self.server = server
        self.other = other
        self.app, self.transport = opencode_app(server, gate_notices=False, gate_settle=0.3)
        self.sessions: list[str] = []

    async def ask(self, kind: str) -> str | None:
        n = next(_numbers)
        session = await asyncio.to_thread(self.other.create_session)
        sid = session["id"]
        self.sessions.append(sid)
        if kind == "question":
            await asyncio.to_thread(self.other.prompt_async, sid, f"ask: Ship build {n}?")
            found = await asyncio.to_thread(self.other.wait_for, lambda: self.other.questions(sid), 60.0)
        else:
            # A first word of its own: an "always" earlier must not let this one run unasked.
            await asyncio.to_thread(self.other.prompt_async, sid, f"run: probe{n}x --check")
            found = await asyncio.to_thread(self.other.wait_for, lambda: self.other.permissions(sid), 60.0)
        return str(found[0]["id"])

    async def elsewhere(self, index: int) -> str | None:
        permissions = await asyncio.to_thread(self.other.permissions)
        questions = await asyncio.to_thread(self.other.questions)
        pending = [("permission", p["id"]) for p in permissions if p.get("sessionID") in self.sessions]
        pending += [("question", q["id"]) for q in questions if q.get("sessionID") in self.sessions]
        if not pending:
            return None
        kind, gate_id = pending[index % len(pending)]
        if kind == "permission":
            response = await asyncio.to_thread(self.other.request, "POST", f"/permission/{gate_id}/reply",
                                               json={"reply": "once"})
        else:
            response = await asyncio.to_thread(self.other.request, "POST", f"/question/{gate_id}/reply",
                                               json={"answers": [["Yes"]]})
        return gate_id if response.status_code == 200 else None  # 404: the app answered it first

    async def stale(self, take: bool) -> None:
        return None  # the fake world covers stale listings

    async def sent(self) -> list[tuple[str, str]]:
        return decisions(self.transport)


def decisions(transport: RecordingTransport) -> list[tuple[str, str]]:
    out = []
    for sent in transport.replies():
        parts = sent.path.strip("/").split("/")  # permission|question, id, reply|reject
        if parts[0] == "permission":
            out.append((parts[1], sent.body["reply"]))
        elif parts[2] == "reply":
            out.append((parts[1], "answer"))
        else:
            out.append((parts[1], "reject-question"))
    return out


@pytest.fixture(scope="module")
def integrity_server(opencode_bin, fake_model, tmp_path_factory):
    server = OpencodeServer(opencode_bin, fake_model.base_url, root=tmp_path_factory.mktemp("opencode-integrity"))
    server.start()
    yield server
    server.stop()


async def run_example(server: OpencodeServer, ops) -> None:
    with OpencodeClient(server) as other:
        world = OpencodeWorld(server, other)
        async with world.app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: world.app.query_one("#sb-connection").has_class("-live"))
            await run_property(world, pilot, ops)
        # Every gate the server accepted a reply for was accepted once.
        accepted = [gate for (gate, _), sent in zip(decisions(world.transport), world.transport.replies(), strict=True)
                    if sent.status == 200]
        assert len(accepted) == len(set(accepted)), accepted
        # Leave nothing pending for the next example.
        for permission in other.permissions():
            other.request("POST", f"/permission/{permission['id']}/reply", json={"reply": "once"})
        for question in other.questions():
            other.request("POST", f"/question/{question['id']}/reject")


@settings(max_examples=int(os.environ.get("HOODY_PROPERTY_EXAMPLES", "5")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_each_decision_reaches_the_gate_that_was_shown_on_opencode(integrity_server, ops):
    asyncio.run(run_example(integrity_server, ops))
