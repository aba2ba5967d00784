"""The whole app against ``hoody-refserver --flavor gateway`` over real sockets (issue 17):
sessions and a parked confirm gate are shown, ``y`` resolves exactly that gate at the
server with the generation that was on screen, ``a`` saves its directories, a question is
answered in its panel, and the decision-integrity property holds with generations."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from hoody_tui.ui.app import AppOptions, HoodyApp
from hoody_tui.ui.screens.answer import AnswerScreen
from hoody_tui.ui.screens.confirm import ConfirmScreen

from ..ui.integrity import operations, run_property
from .gateway_helpers import Recorder, gateway, make_backend
from .helpers import until

PREFIX = "/api/v1/agent"


def gateway_app(srv, **options) -> tuple[HoodyApp, Recorder]:
    backend, recorder = make_backend(srv)
    options.setdefault("bell", False)
    options.setdefault("server_label", "gateway")
    return HoodyApp(AppOptions(**options), backend=backend), recorder


def decisions(recorder: Recorder) -> list[tuple[str, dict]]:
    """Every gate reply the app sent: (route, body)."""
    return [(s.path.rsplit("/", 1)[-1], json.loads(s.body)) for s in recorder.sent
            if s.method == "POST" and s.path.endswith(("/confirm", "/answer"))]


async def _shown(pilot, app, gate_id: str) -> None:
    await until(pilot, lambda: gate_id in app.store.permissions or gate_id in app.store.questions)
    await pilot.press("4")
    await until(pilot, lambda: app.gates_view.detail.gate_id == gate_id)
    await until(pilot, app.gates_view.detail.settled)


async def test_sessions_and_a_parked_gate_are_shown_and_y_resolves_exactly_it(tmp_path):
    audit = tmp_path / "audit.jsonl"
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Clean the build")["id"]
        other = srv.call(srv.state.create_session, "Another")["id"]
        gate = srv.call(srv.state.park_gate, sid)
        app, recorder = gateway_app(srv, audit_log=audit)
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: {sid, other} <= set(app.sessions_view._keys))
            assert app.store.status(sid).type == "busy" and app.store.status(other).type == "idle"
            await _shown(pilot, app, gate["gate_id"])
            request = app.store.permissions[gate["gate_id"]]
            assert request.generation == gate["generation"] and request.command == "rm -rf build/"
            await pilot.press("y")
            await until(pilot, lambda: gate["gate_id"] not in app.store.permissions)
            await until(pilot, lambda: srv.call(lambda: srv.state.summary(srv.state.session(sid)))["pending_gate"] is None)
            # Its stream: the prompt, then the reply (the turn's two messages in that order).
            app.open_stream(sid)
            await until(pilot, lambda: app.store.status(sid).type == "idle")
            await until(pilot, lambda: len(app.stream_view.message_list.query("MessageBlock")) >= 2)
            blocks = list(app.stream_view.message_list.query("MessageBlock"))
            assert [b.entry.info.role for b in blocks][:2] == ["user", "assistant"]
        assert decisions(recorder) == [("confirm", {"gate_id": gate["gate_id"], "generation": gate["generation"],
                                                    "approved": True, "persist_dirs": False})]
        assert not any("authorization" in s.headers for s in recorder.sent)
    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (record["gate"], record["decision"], record["outcome"], record["session"]) == (gate["gate_id"], "once", "ok", sid)


async def test_always_saves_the_directories_it_showed():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Edit")["id"]
        gate = srv.call(srv.state.park_gate, sid, tool="edit", args={"filePath": "/home/dev/p/src/a.ts"},
                        summary="Edit src/a.ts", dirs=["/home/dev/p/src"])
        app, recorder = gateway_app(srv)
        async with app.run_test(size=(120, 36)) as pilot:
            await _shown(pilot, app, gate["gate_id"])
            assert app.store.permissions[gate["gate_id"]].always == ["/home/dev/p/src"]
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "/home/dev/p/src" in app.screen._question and "save access" in app.screen._question
            await pilot.press("y")
            await pilot.pause()
            if isinstance(app.screen, ConfirmScreen):  # outside the session's directory: risky, asked twice
                assert "risky" in app.screen._question
                await pilot.press("y")
            await until(pilot, lambda: gate["gate_id"] not in app.store.permissions)
        assert decisions(recorder) == [("confirm", {"gate_id": gate["gate_id"], "generation": gate["generation"],
                                                    "approved": True, "persist_dirs": True})]


async def test_a_question_is_answered_in_its_panel_with_its_generation():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Ask")["id"]
        gate = srv.call(srv.state.park_gate, sid, "question", question_text="Which database?",
                        options=["postgres", "sqlite"])
        app, recorder = gateway_app(srv)
        async with app.run_test(size=(120, 36)) as pilot:
            await _shown(pilot, app, gate["gate_id"])
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, AnswerScreen))
            await until(pilot, app.screen.ready)
            await pilot.press("down", "enter")
            await until(pilot, lambda: gate["gate_id"] not in app.store.questions)
        ((route, body),) = decisions(recorder)
        assert route == "answer" and body["gate_id"] == gate["gate_id"] and body["generation"] == gate["generation"]
        assert body.get("answer") == "sqlite"


async def test_a_gate_decided_elsewhere_first_is_said_so_and_not_retried():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Race")["id"]
        gate = srv.call(srv.state.park_gate, sid)
        app, recorder = gateway_app(srv, gate_settle=3.0)
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: gate["gate_id"] in app.store.permissions)
            await pilot.press("4")
            await until(pilot, lambda: app.gates_view.detail.gate_id == gate["gate_id"])
            async with httpx.AsyncClient(base_url=srv.url) as other:
                answered = await other.post(f"{PREFIX}/sessions/{sid}/confirm", json={
                    "gate_id": gate["gate_id"], "generation": gate["generation"], "approved": False})
                assert answered.status_code == 200
            await until(pilot, lambda: gate["gate_id"] not in app.store.permissions)
            await until(pilot, lambda: any("elsewhere" in n.text.lower() for n in app.notices))
        assert decisions(recorder) == []


PARKED: dict[str, tuple[str, int, str]] = {}
"""Every gate parked on the shared server: id -> (session, generation, kind)."""


class GatewayWorld:
    """The gateway refserver as the property's world: each gate parked in a session of
    its own (a session has one turn slot), answered elsewhere with its own generation."""

    def __init__(self, srv) -> None:
        self.srv = srv
        self.app, self.recorder = gateway_app(srv, gate_notices=False, gate_settle=0.3)
        self.gates = PARKED
        self.n = len(PARKED)

    async def ask(self, kind: str) -> str | None:
        self.n += 1
        sid = self.srv.call(self.srv.state.create_session, f"S{self.n}")["id"]
        if kind == "question":
            gate = self.srv.call(self.srv.state.park_gate, sid, "question", question_text=f"Which {self.n}?",
                                 options=["x", "y"])
        else:
            gate = self.srv.call(self.srv.state.park_gate, sid, args={"command": f"echo {self.n}"},
                                 summary=f"Run echo {self.n}")
        self.gates[gate["gate_id"]] = (sid, gate["generation"], kind)
        return str(gate["gate_id"])

    def pending(self) -> list[str]:
        return [g for g, (sid, _, _) in self.gates.items()
                if (self.srv.call(lambda s=sid: self.srv.state.summary(self.srv.state.session(s)))["pending_gate"]
                    or {}).get("gate_id") == g]

    async def elsewhere(self, index: int) -> str | None:
        pending = self.pending()
        if not pending:
            return None
        gate_id = pending[index % len(pending)]
        sid, generation, kind = self.gates[gate_id]
        async with httpx.AsyncClient(base_url=self.srv.url) as other:
            if kind == "question":
                response = await other.post(f"{PREFIX}/sessions/{sid}/answer",
                                            json={"gate_id": gate_id, "generation": generation, "answer": "x"})
            else:
                response = await other.post(f"{PREFIX}/sessions/{sid}/confirm",
                                            json={"gate_id": gate_id, "generation": generation, "approved": True})
        return gate_id if response.status_code == 200 else None

    async def stale(self, take: bool) -> None:
        return None

    async def sent(self) -> list[tuple[str, str]]:
        out = []
        for route, body in decisions(self.recorder):
            if route == "answer":
                out.append((body["gate_id"], "answer"))
            else:
                out.append((body["gate_id"], "always" if body.get("persist_dirs") else
                            "once" if body.get("approved") else "reject"))
            # The generation sent is the one that gate had when it was shown (a gate's own).
            assert body["generation"] == self.gates[body["gate_id"]][1], body
        return out


@pytest.fixture(scope="module")
def shared_gateway():
    with gateway() as srv:
        yield srv


async def run_example(srv, ops) -> None:
    world = GatewayWorld(srv)
    async with world.app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: world.app.query_one("#sb-connection").has_class("-live"))
        await run_property(world, pilot, ops)
    accepted = Counter(g for g, _ in await world.sent())
    assert all(count == 1 for count in accepted.values())
    # Leave nothing pending for the next example.
    for _ in range(len(world.pending())):
        await world.elsewhere(0)
    assert not world.pending()


@settings(max_examples=int(os.environ.get("HOODY_PROPERTY_EXAMPLES", "10")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations)
def test_each_decision_reaches_the_gate_that_was_shown_with_its_generation(shared_gateway, ops):
    asyncio.run(run_example(shared_gateway, ops))
