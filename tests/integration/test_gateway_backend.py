"""The gateway backend (``--backend gateway``) against the gateway refserver on a real
loopback socket: the snapshot, the multiplexed per-session streams (resume, lagged,
replay, resync, a restart), gate replies and their 409s, auth, detection, loops, jobs.
Every wait is on a condition with a generous timeout, never on the clock."""

from __future__ import annotations

import json
import logging

import pytest

from hoody_tui.api import errors as E
from hoody_tui.api.events import (
    JobUpdated,
    MessageUpdated,
    PartUpdated,
    PermissionAsked,
    PermissionReplied,
    RecurringLoopDeleted,
    RecurringLoopUpdated,
    SessionDeleted,
    SessionIdle,
    SessionStatusChanged,
    SessionUpdated,
    TurnEnded,
)
from hoody_tui.api.loops import RecurringLoopSpec
from hoody_tui.api.messages import ReasoningPart, TextPart, ToolPart
from hoody_tui.backends import Connection, create, detect
from hoody_tui.backends.gateway import CAPABILITIES, GatewayBackend, GatewayClient, GatewayUnsupported
from hoody_tui.backends.gateway.client import ClaimAuth
from hoody_tui.core.backend import Unsupported
from hoody_tui.events.items import ConnectionState, Malformed, Resync
from hoody_tui.gates.ledger import Decision, Ledger, Outcome
from hoody_tui.refserver.gateway.ring import RING_SIZE
from hoody_tui.refserver.runner import start_in_thread
from hoody_tui.store.state import WorkspaceStore

from .gateway_helpers import Collector, eventually, gateway, make_backend, texts

TOKEN = "gw-t0ken-s3cr3t"


def _ledger_outcome(gate_id: str, error: E.HoodyError) -> Outcome:
    ledger = Ledger()
    ledger.begin(Decision(gate_id, "once"))
    return ledger.failed(gate_id, error)


# --- the snapshot -----------------------------------------------------------------------------


async def test_snapshot_lists_sessions_statuses_pending_gates_with_generation_and_loops():
    with gateway() as srv:
        idle = srv.call(srv.state.create_session, "Idle one")["id"]
        gated = srv.call(srv.state.create_session, "Gated one")["id"]
        asking = srv.call(srv.state.create_session, "Asking one")["id"]
        gate = srv.call(srv.state.park_gate, gated, args={"command": "rm -rf build/"}, summary="Run `rm -rf build/`",
                        dirs=["/work/src"])
        question = srv.call(srv.state.park_gate, asking, "question", options=["postgres", "sqlite"])
        backend, _ = make_backend(srv)
        try:
            loop = await backend.create_recurring_loop(idle, RecurringLoopSpec(prompt="check", interval="1h"))
            snap = await backend.snapshot()
        finally:
            await backend.aclose()
    assert {s.id for s in snap.sessions} == {idle, gated, asking}
    titles = {s.id: s.title for s in snap.sessions}
    assert titles[idle] == "Idle one"
    assert snap.statuses[idle].type == "idle" and snap.statuses[gated].type == "busy"
    [permission] = snap.permissions
    assert permission.id == gate["gate_id"] and permission.session_id == gated
    assert permission.generation == gate["generation"] == 1
    assert permission.permission == "bash" and permission.command == "rm -rf build/"
    assert permission.subject == "rm -rf build/" and permission.always == ["/work/src"]
    assert permission.tool is not None and permission.tool.call_id == gate["call_id"]
    [asked] = snap.questions
    assert asked.id == question["gate_id"] and asked.generation == question["generation"]
    assert [o.label for o in asked.questions[0].options] == ["postgres", "sqlite"]
    assert snap.recurring is not None and [lp.id for lp in snap.recurring[idle]] == [loop.id]
    assert snap.recurring[gated] == []


# --- events --------------------------------------------------------------------------------------


async def test_a_gate_parked_while_watching_arrives_as_permission_asked_with_its_generation():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Watched")["id"]
        backend, _ = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(Resync, what="the first resync")
            assert events.of(ConnectionState, lambda s: s.phase == "live")
            await events.wait(SessionUpdated, lambda e: e.info.id == sid, what="the stream's first summary")
            gate = srv.call(srv.state.park_gate, sid)
            [asked] = await events.wait(PermissionAsked, lambda e: e.request.id == gate["gate_id"])
            assert asked.request.generation == gate["generation"] and asked.request.session_id == sid
            assert await backend.pending_gate_ids() == {gate["gate_id"]}
            await backend.reply_permission(gate["gate_id"], "once", generation=gate["generation"])
            [replied] = await events.wait(PermissionReplied, lambda e: e.request_id == gate["gate_id"])
            assert replied.reply == "once"
            await events.wait(TurnEnded, lambda e: e.session_id == sid)
            assert not events.of(Malformed)
        finally:
            await events.close()
            await backend.aclose()


async def test_a_turn_becomes_messages_parts_a_job_and_idle_and_replays_to_the_same_ids():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Chat")["id"]
        backend, _ = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            job_id = await backend.client.send_message(sid, "run `git status` please")
            await events.wait(TurnEnded, lambda e: e.session_id == sid)
            items = list(events.items)
            messages = await backend.messages(sid)
            page = await backend.jobs_page(sid, status="all", limit=10, cursor=None)
            output = await backend.job_output(sid, job_id)
        finally:
            await events.close()
            await backend.aclose()
    assert any(isinstance(i, SessionStatusChanged) and i.session_id == sid and i.status.type == "busy" for i in items)
    infos = {i.info.id: i.info for i in items if isinstance(i, MessageUpdated)}
    user, assistant = infos[f"{sid}:t0:user"], infos[f"{sid}:t0"]
    assert user.role == "user" and assistant.role == "assistant" and assistant.is_complete
    parts = [i.part for i in items if isinstance(i, PartUpdated)]
    assert any(isinstance(p, TextPart) and p.text == "run `git status` please" for p in parts)
    tools = [p for p in parts if isinstance(p, ToolPart)]
    assert tools[0].state.status == "running" and tools[0].state.input["command"] == "git status"
    assert tools[-1].state.status == "completed" and tools[-1].id == tools[0].id
    jobs = [i.job for i in items if isinstance(i, JobUpdated)]
    assert jobs[0].id == job_id and jobs[0].status == "running" and jobs[-1].status == "completed"
    assert any(isinstance(i, SessionIdle) and i.session_id == sid for i in items)
    # The replay ring read as history gives the same messages and parts.
    assert [m.info.id for m in messages] == [f"{sid}:t0:user", f"{sid}:t0"]
    live_text = "".join(texts(items, sid)[:-1])  # the last is agent_done's whole text once more
    replayed = [p for p in messages[1].parts if isinstance(p, TextPart)]
    assert "".join(p.text for p in replayed) == live_text and live_text
    assert any(isinstance(p, ReasoningPart) for p in messages[1].parts) or not any(
        isinstance(p, ReasoningPart) for p in parts)
    assert [j.id for j in page.jobs] == [job_id] and page.jobs[0].status == "completed"
    assert output.replace("\n", "") == live_text.replace("\n", "")


async def test_a_stream_cut_resumes_with_since_and_loses_or_repeats_nothing():
    with gateway(drop_after=3) as srv:
        sid = srv.call(srv.state.create_session, "Cut")["id"]
        backend, sent = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            srv.call(srv.state.push_events, sid, 10)
            await eventually(lambda: len(texts(events.items, sid)) >= 10, "ten deltas across the cuts")
            resumed = [s.query.get("since") for s in sent.streams(sid)[1:]]
        finally:
            await events.close()
            await backend.aclose()
    assert texts(events.items, sid) == [f"filler {i} " for i in range(10)], "each event once, in order"
    assert resumed[:3] == [["3"], ["6"], ["9"]], "each reconnect resumed after the last seq applied"


async def test_a_reconnect_sends_last_event_id_of_the_last_applied_seq():
    with gateway(drop_after=4) as srv:
        sid = srv.call(srv.state.create_session, "Cut")["id"]
        backend, sent = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            srv.call(srv.state.push_events, sid, 8)
            await eventually(lambda: len(texts(events.items, sid)) >= 8, "eight deltas")
            # Each connection is cut after its fourth event: the third connect follows the second cut.
            streams = await eventually(lambda: len(sent.streams(sid)) >= 3 and sent.streams(sid), "a third connect")
        finally:
            await events.close()
            await backend.aclose()
    assert "last-event-id" not in streams[0].headers, "the first connect starts live"
    assert [s.headers.get("last-event-id") for s in streams[1:3]] == ["4", "8"]
    assert texts(events.items, sid) == [f"filler {i} " for i in range(8)]


async def test_a_gap_past_the_ring_is_lagged_then_replayed_and_the_session_resynced():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Laggard")["id"]
        backend, sent = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            srv.call(srv.state.push_events, sid, 2)
            await eventually(lambda: len(texts(events.items, sid)) == 2, "the first two deltas")
            # Cut the stream after one more event and refuse it while the ring overflows.
            srv.set_faults(fail_routes=[r"/stream$"], fail_status=503, drop_after=1)
            srv.call(srv.state.push_events, sid, 1)
            await events.wait(ConnectionState, lambda s: s.phase == "reconnecting", what="the cut")
            await eventually(lambda: len(texts(events.items, sid)) == 3, "the third delta")
            head = srv.call(srv.state.push_events, sid, RING_SIZE + 76)
            resyncs_before = len(events.of(SessionUpdated, lambda e: e.info.id == sid))
            srv.set_faults(fail_routes=[], drop_after=None)
            await eventually(lambda: len(events.of(SessionUpdated, lambda e: e.info.id == sid)) > resyncs_before,
                             "the resync from the summary")
            srv.call(srv.state.push_events, sid, 1)
            await eventually(lambda: texts(events.items, sid)[-1:] == ["filler 0 "] and len(texts(events.items, sid)) > 3,
                             "the live event after the gap")
            replays = [s for s in sent.sent if s.path.endswith(f"/sessions/{sid}/replay")]
            lagged_from = [s.headers.get("last-event-id") for s in sent.streams(sid)]
        finally:
            await events.close()
            await backend.aclose()
    assert head == 3 + RING_SIZE + 76
    assert "3" in lagged_from, "the reconnect resumed from seq 3, which the ring had evicted"
    assert replays and replays[0].query.get("min_seq") == ["4"]
    # Seqs 1-3 were applied; 4..79 were evicted (gone for everyone); the ring's 80..head
    # came from the replay, each once; then the live event.
    kept = [f"filler {i} " for i in range(76, RING_SIZE + 76)]
    assert texts(events.items, sid) == ["filler 0 ", "filler 1 ", "filler 0 ", *kept, "filler 0 "]
    assert not events.of(Malformed)


async def test_a_server_restart_with_other_gates_resyncs_drops_the_old_gates_and_asks_the_new():
    with gateway(pending_gates=1) as srv:
        first = srv.call(srv.state.get_summary, next(iter(srv.state.sessions)))
        old_gate = first["pending_gate"]["gate_id"]
        backend, _ = make_backend(srv)
        events = Collector(backend)
        store = WorkspaceStore()
        try:
            await events.wait(PermissionAsked, lambda e: e.request.id == old_gate)
            srv.call(srv.state.push_events, first["id"], 20)  # our cursor will be past the new head
            await eventually(lambda: len(texts(events.items, first["id"])) == 20, "the deltas")
            store.resync(await backend.snapshot())
            assert set(store.permissions) == {old_gate}
            resyncs = len(events.of(Resync))
            srv2 = srv.restart(pending_gates=2)
            try:
                summaries = [srv2.call(srv2.state.get_summary, sid) for sid in list(srv2.state.sessions)]
                new_gates = {s["pending_gate"]["gate_id"] for s in summaries if s["pending_gate"]}
                await events.wait(Resync, count=resyncs + 1, what="a resync after the server came back")
                assert events.of(Resync)[-1].reconnect
                await events.wait(PermissionAsked, lambda e: e.request.id in new_gates, count=len(new_gates))
                await events.wait(PermissionReplied, lambda e: e.request_id == old_gate, what="the old gate's end")
                # What the pump does: apply the records, and list again on each Resync.
                for item in events.items:
                    if isinstance(item, Resync):
                        store.resync(await backend.snapshot())
                    elif not isinstance(item, (ConnectionState, Malformed)):
                        store.apply(item)
                assert set(store.permissions) == new_gates
                assert await backend.pending_gate_ids() == new_gates
            finally:
                srv2.stop()
        finally:
            await events.close()
            await backend.aclose()
    assert len(new_gates) == 2 and old_gate not in new_gates


async def test_sessions_beyond_the_stream_cap_are_polled_and_a_closed_session_is_dropped():
    with gateway() as srv:
        older = srv.call(srv.state.create_session, "Older")["id"]
        newer = srv.call(srv.state.create_session, "Newer")["id"]
        backend, sent = make_backend(srv, max_streams=1)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == newer)
            gate = srv.call(srv.state.park_gate, older)
            await events.wait(PermissionAsked, lambda e: e.request.id == gate["gate_id"], what="the polled gate")
            assert not sent.streams(older), "only the newest session is streamed"
            await backend.client.http.post(f"/api/v1/agent/sessions/{older}/close")
            await events.wait(SessionDeleted, lambda e: e.session_id == older)
        finally:
            await events.close()
            await backend.aclose()


# --- gates ---------------------------------------------------------------------------------------


async def test_a_reply_echoes_the_generation_it_was_given_never_a_fresher_one():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Twice")["id"]
        backend, sent = make_backend(srv)
        try:
            first = srv.call(srv.state.park_gate, sid)
            await backend.snapshot()
            await backend.abort(sid)  # the gate is cancelled with its turn
            second = srv.call(srv.state.park_gate, sid)
            assert second["generation"] == first["generation"] + 1
            await backend.snapshot()  # the backend now knows the fresher generation
            with pytest.raises(E.Conflict) as stale:
                await backend.reply_permission(second["gate_id"], "once", generation=first["generation"])
            confirm = json.loads([s for s in sent.sent if s.path.endswith("/confirm")][-1].body)
            assert confirm == {"gate_id": second["gate_id"], "generation": 1, "approved": True, "persist_dirs": False}
            await backend.reply_permission(second["gate_id"], "reject", generation=second["generation"])
            summary = srv.call(srv.state.get_summary, sid)
        finally:
            await backend.aclose()
    assert stale.value.code == "stale_gate" and "decided elsewhere" in str(stale.value)
    assert _ledger_outcome(second["gate_id"], stale.value) is Outcome.GONE
    assert summary["pending_gate"] is None


async def test_always_persists_the_gates_dirs():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Dirs")["id"]
        gate = srv.call(srv.state.park_gate, sid, "confirm", tool="edit", args={"filePath": "/w/src/a.py"},
                        dirs=["/w/src"])
        backend, sent = make_backend(srv)
        try:
            await backend.snapshot()
            await backend.reply_permission(gate["gate_id"], "always", generation=gate["generation"])
            persisted = srv.call(lambda: list(srv.state.sessions[sid].persisted_dirs))
        finally:
            await backend.aclose()
    body = json.loads([s for s in sent.sent if s.path.endswith("/confirm")][-1].body)
    assert body["persist_dirs"] is True and body["approved"] is True
    assert persisted == ["/w/src"]


async def test_each_409_maps_to_its_error_class_and_sentence(caplog):
    with gateway() as srv:
        a = srv.call(srv.state.create_session, "A")["id"]
        backend, _ = make_backend(srv)
        elsewhere, _ = make_backend(srv)
        try:
            # no_pending_gate: the gate went with its cancelled turn.
            gone = srv.call(srv.state.park_gate, a)
            await backend.snapshot()
            srv.call(srv.state.cancel_turn, srv.state.sessions[a])
            with pytest.raises(E.Conflict) as no_pending:
                await backend.reply_permission(gone["gate_id"], "once", generation=gone["generation"])
            # gate_already_answered: another client answered it first.
            gate = srv.call(srv.state.park_gate, a)
            await backend.snapshot()
            await elsewhere.snapshot()
            await elsewhere.reply_permission(gate["gate_id"], "once", generation=gate["generation"])
            with pytest.raises(E.Conflict) as answered:
                await backend.reply_permission(gate["gate_id"], "reject", generation=gate["generation"])
            await eventually(lambda: srv.call(srv.state.get_summary, a)["turn_in_flight"] is False, "the turn's end")
            # gate_type_mismatch: a confirm sent to a question (a bug, logged as one).
            question = srv.call(srv.state.park_gate, a, "question", options=["x", "y"])
            await backend.snapshot()
            with caplog.at_level(logging.ERROR, logger="hoody_tui.backends.gateway"), \
                    pytest.raises(E.Conflict) as mismatch:
                await backend.reply_permission(question["gate_id"], "once", generation=question["generation"])
            # gate_parked / turn_in_flight: the session's one turn slot is taken.
            loop = await backend.create_recurring_loop(a, RecurringLoopSpec(prompt="again", interval="1h"))
            with pytest.raises(E.Conflict) as parked:
                await backend.run_recurring_loop_now(a, loop.id)
            await backend.answer_question(question["gate_id"], [["x"]], generation=question["generation"])
            await eventually(lambda: srv.call(srv.state.get_summary, a)["turn_in_flight"] is False, "the turn's end")
            srv.call(srv.state.start_turn, a, hold=True)
            with pytest.raises(E.Conflict) as in_flight:
                await backend.run_recurring_loop_now(a, loop.id)
            srv.call(srv.state.release, a)
            # A gate nobody has pending any more: NotFound, "decided elsewhere" too.
            with pytest.raises(E.NotFound) as unknown:
                await backend.reply_permission("gate_nope", "once", generation=1)
        finally:
            await backend.aclose()
            await elsewhere.aclose()
    assert no_pending.value.code == "no_pending_gate" and "decided elsewhere" in str(no_pending.value)
    assert answered.value.code == "gate_already_answered" and "answered elsewhere" in str(answered.value)
    for error in (no_pending.value, answered.value, unknown.value):
        assert _ledger_outcome("g", error) is Outcome.GONE
    assert mismatch.value.code == "gate_type_mismatch" and "a bug" in str(mismatch.value)
    assert _ledger_outcome("g", mismatch.value) is Outcome.REFUSED
    assert any("bug" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert parked.value.code == "gate_parked" and "decide it first" in str(parked.value)
    assert in_flight.value.code == "turn_in_flight" and "already running" in str(in_flight.value)
    for error in (parked.value, in_flight.value):
        assert _ledger_outcome("g", error) is Outcome.REFUSED


async def test_questions_are_answered_with_labels_and_what_the_gateway_cannot_carry_is_refused():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Q")["id"]
        question = srv.call(srv.state.park_gate, sid, "question", options=["postgres", "sqlite"])
        backend, sent = make_backend(srv)
        try:
            await backend.snapshot()
            with pytest.raises(Unsupported):
                await backend.reject_question(question["gate_id"], generation=question["generation"])
            with pytest.raises(GatewayUnsupported) as message:
                await backend.reply_permission(question["gate_id"], "reject", "not now", generation=1)
            await backend.answer_question(question["gate_id"], [["postgres", "sqlite"]],
                                          generation=question["generation"])
        finally:
            await backend.aclose()
    assert isinstance(message.value, E.HoodyError), "a decision that reaches it is settled as refused"
    assert "message" in str(message.value)
    answers = [json.loads(s.body) for s in sent.sent if s.path.endswith("/answer")]
    assert answers == [{"gate_id": question["gate_id"], "generation": question["generation"],
                        "answer": "postgres, sqlite"}]
    assert not [s for s in sent.sent if s.path.endswith("/confirm")], "nothing unsupported was sent"


# --- auth and detection ----------------------------------------------------------------------------


async def test_with_a_token_the_claim_pair_is_sent_and_never_an_authorization_header():
    with gateway(token=TOKEN) as srv:
        sid = srv.call(srv.state.create_session, "Private")["id"]
        backend, sent = make_backend(srv, token=TOKEN)
        events = Collector(backend)
        anonymous, _ = make_backend(srv)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            snap = await backend.snapshot()
            with pytest.raises(E.Unauthorized):
                await anonymous.snapshot()
        finally:
            await events.close()
            await backend.aclose()
            await anonymous.aclose()
    assert [s.id for s in snap.sessions] == [sid]
    assert sent.sent and sent.streams(sid)
    for request in sent.sent:
        assert "authorization" not in request.headers
        assert request.headers["x-hoody-token"] == TOKEN and request.headers["x-hoody-container-claim"]
        assert TOKEN not in request.url
    for text in (repr(backend), repr(backend.client), repr(ClaimAuth(TOKEN))):
        assert TOKEN not in text


async def test_detect_tells_the_gateway_from_the_workspace_api_under_api_v1_agent():
    with gateway() as srv:
        assert await detect(Connection(srv.url)) == "gateway"
        assert await detect(Connection(srv.base)) == "gateway"
        backend = create(Connection(srv.base, backend="gateway", token=TOKEN))
        try:
            assert isinstance(backend, GatewayBackend) and backend.kind == "gateway"
            assert backend.capabilities is CAPABILITIES and backend.server == srv.url
        finally:
            await backend.aclose()
    workspace = start_in_thread(scenario="none", prefix="agent")
    try:
        assert await detect(Connection(workspace.url, workspace.workspace)) == "hoody"
    finally:
        workspace.stop()


# --- loops and jobs ---------------------------------------------------------------------------------


async def test_loops_are_created_paused_run_now_and_deleted_through_the_backend():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Loops")["id"]
        backend, sent = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            loop = await backend.create_recurring_loop(sid, RecurringLoopSpec(prompt="check the build", interval="1h",
                                                                              max_runs=3))
            assert loop.prompt == "check the build" and loop.max_runs == 3 and loop.state == "active"
            paused = await backend.update_recurring_loop(sid, loop.id, {"paused": True})
            assert paused.paused and paused.state == "paused"
            for bad in ({}, {"paused": False, "expires_in": "2h"}, {"colour": "red"}):
                with pytest.raises(E.Invalid):
                    await backend.update_recurring_loop(sid, loop.id, bad)
            assert len([s for s in sent.sent if s.method == "PATCH"]) == 1, "a bad intent is never sent"
            budget = await backend.update_recurring_loop(sid, loop.id, {"max_cost_usd": 2.5, "max_wall_ms": 60000})
            assert budget.max_cost_usd == 2.5
            await backend.run_recurring_loop_now(sid, loop.id)
            [run] = await events.wait(JobUpdated, lambda e: e.job.tool == "loop_run", what="the loop run's job")
            await events.wait(JobUpdated, lambda e: e.job.id == run.job.id and e.job.status == "completed")
            page = await backend.jobs_page(sid, status="completed", limit=10, cursor=None)
            assert [j.id for j in page.jobs] == [run.job.id]
            assert (page.jobs[0].metadata or {}).get("loop_id") == loop.id
            assert [lp.id for lp in await backend.recurring_loops(sid)] == [loop.id]
            await backend.delete_recurring_loop(sid, loop.id)
            assert await backend.recurring_loops(sid) == []
            await events.wait(RecurringLoopUpdated, lambda e: e.loop.id == loop.id and e.loop.paused)
            await events.wait(RecurringLoopDeleted, lambda e: e.loop_id == loop.id)
        finally:
            await events.close()
            await backend.aclose()


async def test_a_running_turn_job_can_be_read_and_cancelled():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Jobs")["id"]
        backend, _ = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            job = srv.call(srv.state.start_turn, sid, hold=True)
            await events.wait(JobUpdated, lambda e: e.job.id == job["id"])
            running = await backend.job(sid, job["id"])
            assert running.status == "running" and running.tool == "turn"
            assert await backend.job_output(sid, job["id"]) == ""
            cancelled = await backend.cancel_job(sid, job["id"])
            assert cancelled.cancelled
            await events.wait(JobUpdated, lambda e: e.job.id == job["id"] and e.job.status == "cancelled")
            with pytest.raises(Unsupported):
                await backend.retry_job(sid, job["id"])
        finally:
            await events.close()
            await backend.aclose()


def test_the_client_takes_a_url_ending_in_the_prefix_and_never_shows_the_token():
    client = GatewayClient("http://127.0.0.1:9/api/v1/agent/", TOKEN)
    assert client.base_url == "http://127.0.0.1:9"
    assert TOKEN not in repr(client) and "token=set" in repr(client)


async def test_unreadable_frames_are_counted_as_malformed_and_unknown_types_ignored():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Odd")["id"]
        backend, _ = make_backend(srv)
        events = Collector(backend)
        try:
            await events.wait(SessionUpdated, lambda e: e.info.id == sid)
            srv.set_faults(malformed_once=True)
            rec = srv.state.sessions[sid]
            srv.call(lambda: srv.state.emit(rec, "event.brand_new", anything=[1, 2]))
            srv.call(lambda: srv.state.emit(rec, "event.turn_started", turn_idx="first", text=3))
            srv.call(srv.state.push_events, sid, 1)
            await eventually(lambda: texts(events.items, sid) == ["filler 0 "], "the good event after the bad ones")
            malformed = events.of(Malformed)
        finally:
            await events.close()
            await backend.aclose()
    reasons = [m.reason for m in malformed]
    assert len(reasons) == 2, reasons
    assert any("not valid JSON" in r for r in reasons) and any("event.turn_started" in r for r in reasons)
