"""The state reducer: event sequences in, state and per-kind changes out (no server)."""

from __future__ import annotations

from hoody_tui.api import (
    Job,
    PermissionRequest,
    Question,
    Session,
    SessionStatus,
    parse_event,
)
from hoody_tui.store import Snapshot, WorkspaceStore


def ev(kind: str, **props):
    return parse_event({"type": kind, "properties": props})


def session(sid: str, **extra) -> dict:
    return {"id": sid, "title": f"title {sid}", **extra}


def assistant(mid: str, sid: str, **extra) -> dict:
    return {"id": mid, "sessionID": sid, "role": "assistant", "time": {"created": 1700000000000}, **extra}


def test_sessions_created_updated_deleted():
    store = WorkspaceStore()
    c = store.apply_many([ev("session.created", info=session("s1")), ev("session.created", info=session("s2", parentID="s1"))])
    assert c.sessions == {"s1", "s2"}
    assert [s.id for s in store.children("s1")] == ["s2"]
    store.apply(ev("session.updated", info=session("s1", title="renamed")))
    assert store.sessions["s1"].title == "renamed"
    c = store.apply(ev("session.deleted", info=session("s2")))
    assert c.sessions_removed == {"s2"} and "s2" not in store.sessions


def test_status_busy_retry_idle():
    store = WorkspaceStore()
    store.apply(ev("session.status", sessionID="s1", status={"type": "busy"}))
    assert store.status("s1").type == "busy" and store.busy_count() == 1
    store.apply(ev("session.status", sessionID="s1", status={"type": "retry", "attempt": 2, "message": "rate limited"}))
    assert store.status("s1").attempt == 2
    c = store.apply(ev("session.idle", sessionID="s1"))
    assert c.sessions == {"s1"} and store.status("s1").type == "idle" and store.busy_count() == 0
    # A repeated idle changes nothing.
    assert not store.apply(ev("session.idle", sessionID="s1"))


def test_message_stream_parts_upsert_in_first_seen_order_and_stats():
    store = WorkspaceStore()
    store.apply(ev("message.updated", info=assistant("m1", "s1", agent="build", providerID="anthropic", modelID="claude", cost=0.01,
                                                       tokens={"input": 10, "output": 5})))
    store.apply(ev("message.part.updated", part={"id": "p1", "sessionID": "s1", "messageID": "m1", "type": "text", "text": "Hel"}, delta="Hel"))
    store.apply(ev("message.part.updated", part={"id": "p2", "sessionID": "s1", "messageID": "m1", "type": "reasoning", "text": "hmm"}))
    store.apply(ev("message.part.updated", part={"id": "p1", "sessionID": "s1", "messageID": "m1", "type": "text", "text": "Hello"}, delta="lo"))
    (entry,) = store.session_messages("s1")
    assert [p.id for p in entry.parts.values()] == ["p1", "p2"]
    assert entry.parts["p1"].text == "Hello"
    # The same message updated again replaces its cost, it does not add it twice.
    store.apply(ev("message.updated", info=assistant("m1", "s1", agent="build", providerID="anthropic", modelID="claude", cost=0.02,
                                                       tokens={"input": 10, "output": 9})))
    stats = store.stats["s1"]
    assert (stats.agent, stats.model, round(stats.cost, 4), stats.tokens) == ("build", "anthropic/claude", 0.02, 19)
    c = store.apply(ev("message.part.removed", sessionID="s1", messageID="m1", partID="p2"))
    assert c.messages == {"s1"} and list(entry.parts) == ["p1"]
    store.apply(ev("message.removed", sessionID="s1", messageID="m1"))
    assert store.session_messages("s1") == []


def test_part_before_its_message_is_kept():
    store = WorkspaceStore()
    store.apply(ev("message.part.updated", part={"id": "p1", "sessionID": "s1", "messageID": "m9", "type": "text", "text": "x"}))
    store.apply(ev("message.updated", info=assistant("m9", "s1")))
    (entry,) = store.session_messages("s1")
    assert entry.info.role == "assistant" and list(entry.parts) == ["p1"]


def test_message_history_is_bounded():
    store = WorkspaceStore(message_limit=3)
    store.focus("s1")
    for i in range(10):
        store.apply(ev("message.updated", info=assistant(f"m{i}", "s1")))
    assert [e.info.id for e in store.session_messages("s1")] == ["m7", "m8", "m9"]


def test_gates_enqueue_dedupe_and_remove():
    store = WorkspaceStore()
    req = {"id": "per_1", "sessionID": "s1", "permission": "bash", "patterns": ["ls"]}
    store.apply(ev("permission.asked", **req))
    store.apply(ev("permission.asked", **req))  # duplicate: still one
    store.apply(ev("question.asked", id="que_1", sessionID="s1", questions=[{"question": "?"}]))
    assert list(store.permissions) == ["per_1"] and store.gate_count("s1") == 2
    c = store.apply(ev("permission.replied", sessionID="s1", requestID="per_1", reply="once"))
    assert c.permissions_removed == {"per_1"} and c.gates
    c = store.apply(ev("question.rejected", sessionID="s1", requestID="que_1"))
    assert c.questions_removed == {"que_1"} and store.gate_count("s1") == 0
    # Replies for gates we never saw change nothing.
    assert not store.apply(ev("permission.replied", sessionID="s1", requestID="per_x", reply="once"))


def test_jobs_merge_partial_updates():
    store = WorkspaceStore()
    store.apply(ev("job.updated", job={"id": "j1", "sessionID": "s1", "tool": "bash", "status": "running", "progress": {"percent": 10}}))
    store.apply(ev("job.updated", job={"id": "j1", "progress": {"percent": 60, "message": "tests"}}))
    job = store.jobs["j1"]
    assert (job.tool, job.status, job.percent) == ("bash", "running", 60)
    assert store.active_jobs() == 1
    store.apply(ev("job.completed", job={"id": "j1", "status": "completed"}))
    assert store.active_jobs() == 0


def test_loop_updates_and_end():
    store = WorkspaceStore()
    loop = {"prompt": "p", "iters": 5, "iter": 2}
    c = store.apply(ev("loop.updated", sessionID="s1", loop=loop))
    assert store.loops["s1"].progress_label == "2/5" and c.loops == {"s1"}
    store.apply(ev("loop.updated", sessionID="s1", loop=None))
    assert "s1" not in store.loops


def test_unknown_and_heartbeat_events_change_nothing():
    store = WorkspaceStore()
    assert not store.apply(ev("brand.new.thing", x=1))
    assert not store.apply(ev("server.heartbeat"))


def test_session_error_is_reported_and_cleared_by_status():
    store = WorkspaceStore()
    c = store.apply(ev("session.error", sessionID="s1", error={"name": "APIError", "data": {"message": "quota"}}))
    assert c.errors == [("s1", "quota")] and store.last_errors["s1"] == "quota"
    store.apply(ev("session.status", sessionID="s1", status={"type": "busy"}))
    assert "s1" not in store.last_errors


def test_deleting_a_session_drops_its_gates_and_jobs():
    store = WorkspaceStore()
    store.apply_many([
        ev("session.created", info=session("s1")),
        ev("permission.asked", id="per_1", sessionID="s1", permission="bash"),
        ev("job.updated", job={"id": "j1", "sessionID": "s1", "status": "running"}),
    ])
    c = store.apply(ev("session.deleted", info=session("s1")))
    assert c.permissions_removed == {"per_1"} and not store.permissions and not store.jobs


def test_resync_replaces_with_a_minimal_diff():
    store = WorkspaceStore()
    store.apply_many([
        ev("session.created", info=session("s1")),
        ev("session.created", info=session("gone")),
        ev("session.status", sessionID="s1", status={"type": "busy"}),
        ev("permission.asked", id="per_old", sessionID="s1", permission="bash"),
        ev("permission.asked", id="per_keep", sessionID="s1", permission="edit"),
        ev("message.updated", info=assistant("m1", "s1")),
    ])
    snapshot = Snapshot(
        sessions=[Session(id="s1", title="title s1"), Session(id="s2", title="new")],
        statuses={"s2": SessionStatus(type="busy")},
        permissions=[PermissionRequest(id="per_keep", sessionID="s1", permission="edit"),
                     PermissionRequest(id="per_new", sessionID="s2", permission="bash")],
        questions=[Question(id="que_1", sessionID="s2")],
        jobs=[Job(id="j1", sessionID="s2", status="queued")],
    )
    c = store.resync(snapshot)
    assert c.resynced
    assert c.sessions_removed == {"gone"}
    assert c.sessions == {"s1", "s2"}  # s1: status busy -> idle; s2: new
    assert c.permissions_removed == {"per_old"} and c.permissions == {"per_new"}
    assert c.questions == {"que_1"} and c.jobs == {"j1"}
    assert list(store.permissions) == ["per_keep", "per_new"]
    assert store.status("s1").type == "idle" and store.status("s2").type == "busy"
    # Messages of a surviving session are kept; a second identical resync changes nothing but the flag.
    assert [e.info.id for e in store.session_messages("s1")] == ["m1"]
    again = store.resync(snapshot)
    assert not (again.sessions or again.permissions or again.permissions_removed or again.jobs)


def test_snapshot_replaces_message_parts():
    from hoody_tui.api import MessageWithParts

    store = WorkspaceStore()
    store.apply(ev("message.part.updated", part={"id": "old", "sessionID": "s1", "messageID": "m1", "type": "text", "text": "x"}))
    item = MessageWithParts.model_validate({"message": {"id": "m1", "role": "assistant"}, "parts": [{"id": "p", "type": "text", "text": "y"}]})
    store.replace_message("s1", item)
    (entry,) = store.session_messages("s1")
    assert list(entry.parts) == ["p"] and entry.info.session_id == "s1"


def test_loaded_history_goes_before_live_messages():
    from hoody_tui.api import MessageWithParts

    store = WorkspaceStore()
    store.focus("s1")
    store.apply(ev("message.updated", info=assistant("m9", "s1", time={"created": 1700000090000})))
    older = [MessageWithParts.model_validate({"info": assistant(f"m{i}", "s1", time={"created": 1700000000000 + i * 1000}), "parts": []})
             for i in range(3)]
    store.load_messages("s1", older)
    assert [e.info.id for e in store.session_messages("s1")] == ["m0", "m1", "m2", "m9"]


def test_history_beyond_the_bound_loads_on_demand():
    from hoody_tui.api import MessageWithParts

    store = WorkspaceStore(message_limit=3)
    store.focus("s1")  # the stream opens, then its history is listed
    listing = [MessageWithParts.model_validate({"info": assistant(f"m{i}", "s1", time={"created": 1700000000000 + i}), "parts": []})
               for i in range(8)]
    store.load_messages("s1", listing)
    assert [e.info.id for e in store.session_messages("s1")] == ["m5", "m6", "m7"]
    assert store.hidden_earlier("s1") == 5
    store.load_earlier("s1", listing, 2)
    assert [e.info.id for e in store.session_messages("s1")] == ["m3", "m4", "m5", "m6", "m7"]
    assert store.hidden_earlier("s1") == 3
    # A new message does not push the loaded history out again.
    store.apply(ev("message.updated", info=assistant("m8", "s1", time={"created": 1700000000009})))
    assert store.session_messages("s1")[0].info.id == "m4"


def test_details_after_a_resync_add_jobs_and_replace_loops():
    from hoody_tui.api import Loop

    store = WorkspaceStore()
    store.resync(Snapshot(sessions=[Session(id="s1"), Session(id="s2")], statuses={}, permissions=[], questions=[]))
    store.set_loop("s2", Loop.model_validate({"sessionID": "s2", "iteration": 1, "maxIterations": 3, "status": "running"}))
    c = store.apply_details([Job(id="j1", sessionID="s1", status="running")], {"s1": None, "s2": None})
    assert c.jobs == {"j1"} and store.active_jobs() == 1
    assert c.loops == {"s2"} and "s2" not in store.loops  # the listing says s2's loop ended
    assert not store.apply_details([Job(id="j1", sessionID="s1", status="running")], {"s1": None})  # nothing new
    store.apply(ev("job.updated", job={"id": "j1", "sessionID": "s1", "status": "completed"}))
    assert store.active_jobs() == 0  # the cached count follows the event


def test_sessions_nobody_reads_keep_a_few_messages_and_all_their_figures():
    from hoody_tui.api import MessageWithParts

    store = WorkspaceStore(message_limit=50, background_limit=2)
    for i in range(10):
        store.apply(ev("message.updated", info=assistant(f"m{i}", "s1", cost=0.5, tokens={"input": 10, "output": 0},
                                                          time={"created": 1700000000000 + i})))
    assert [e.info.id for e in store.session_messages("s1")] == ["m8", "m9"]
    assert store.stats["s1"].cost == 5.0 and store.stats["s1"].tokens == 100
    store.apply(ev("message.updated", info=assistant("m9", "s1", cost=1.5, tokens={"input": 10, "output": 0},
                                                      time={"created": 1700000000009})))
    assert store.stats["s1"].cost == 6.0  # an update replaces its message's share
    # The stream opens: the listing brings the whole history, and the figures are
    # counted again from it (nothing counted twice).
    store.focus("s1")
    listing = [MessageWithParts.model_validate({"info": assistant(f"m{i}", "s1", cost=0.5 if i < 9 else 1.5,
                                                                  tokens={"input": 10, "output": 0},
                                                                  time={"created": 1700000000000 + i}), "parts": []})
               for i in range(10)]
    store.load_messages("s1", listing)
    assert len(store.session_messages("s1")) == 10
    assert store.stats["s1"].cost == 6.0 and store.stats["s1"].tokens == 100
    # Another stream opens: s1 goes back to its last few messages, its figures stay.
    store.focus("s2")
    assert [e.info.id for e in store.session_messages("s1")] == ["m8", "m9"]
    assert store.stats["s1"].cost == 6.0


def test_finished_jobs_are_bounded_and_active_ones_always_kept():
    store = WorkspaceStore(job_limit=3)
    store.apply(ev("job.updated", job={"id": "active", "sessionID": "s1", "status": "running"}))
    for i in range(6):
        store.apply(ev("job.updated", job={"id": f"j{i}", "sessionID": "s1", "status": "running"}))
        c = store.apply(ev("job.updated", job={"id": f"j{i}", "sessionID": "s1", "status": "completed"}))
    assert set(store.jobs) == {"active", "j3", "j4", "j5"}  # the three most recently finished
    assert "j2" in c.jobs  # the view is told the evicted job is gone
    assert store.active_jobs() == 1


def test_the_active_job_count_follows_every_change_without_counting_again():
    """The count the status bar reads on every paced update is kept as jobs change:
    started, finished, restarted, evicted when finished, gone with their session."""
    store = WorkspaceStore(job_limit=1)
    store.resync(Snapshot(sessions=[Session(id="s1"), Session(id="s2")], statuses={}, permissions=[], questions=[]))
    steps = [("a", "s1", "running"), ("b", "s1", "running"), ("a", "s1", "completed"), ("c", "s2", "running"),
             ("b", "s1", "failed"), ("a", "s1", "running"), ("c", "s2", "running"), ("c", "s2", "cancelled")]
    assert store.active_jobs() == 0
    for job_id, sid, status in steps:
        store.apply(ev("job.updated", job={"id": job_id, "sessionID": sid, "status": status}))
        assert store.active_jobs() == sum(1 for j in store.jobs.values() if not j.is_terminal), (job_id, status)
    assert store.active_jobs() == 1  # a: running again; b and c finished (and one of them evicted)
    store.apply(ev("session.deleted", info=session("s1")))
    assert store.active_jobs() == 0


def test_a_job_event_keeps_what_it_leaves_out_and_a_whole_one_replaces_the_job():
    from hoody_tui.store.state import _merge_job

    old = Job.model_validate({"id": "j1", "sessionID": "s1", "status": "running", "tool": "bash",
                              "progress": {"percent": 5}, "note": "kept"})
    partial = Job.model_validate({"id": "j1", "progress": {"percent": 40}})
    merged = _merge_job(old, partial)
    assert merged.tool == "bash" and merged.session_id == "s1" and merged.percent == 40
    assert merged.model_extra == {"note": "kept"}
    whole = Job.model_validate({"id": "j1", "sessionID": "s1", "status": "completed", "tool": "bash",
                                "progress": {"percent": 100}, "note": "kept"})
    copy = old.model_copy(update={name: getattr(whole, name) for name in whole.model_fields_set})
    assert _merge_job(old, whole) is whole  # nothing of the old one left out: no copy made
    assert whole == copy and whole.model_fields_set == copy.model_fields_set
    other_extra = Job.model_validate({**whole.model_dump(by_alias=True, exclude_none=True), "note": "new"})
    copy = old.model_copy(update={name: getattr(other_extra, name) for name in other_extra.model_fields_set})
    assert _merge_job(old, other_extra) == copy and copy.model_extra == {"note": "new"}
