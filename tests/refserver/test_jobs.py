"""Jobs (list, get, output, cancel, bulk cancel, retry, inject), the loop, and the CLI agent."""

from __future__ import annotations

import json
import random

import httpx
from httpx_sse import connect_sse

from hoody_tui.refserver import content

from .helpers import TIMEOUT, Api, Events, named_errors

JOB_KEYS = {
    "id", "sessionID", "messageID", "callID", "tool", "status", "input", "progress", "output", "fullOutput",
    "attachments", "metadata", "time", "wakePolicy", "durability", "groupID", "timeout", "retries",
    "completionProcessed", "parentJobId", "childJobIds", "totalChildren", "finishedChildJobIds",
}


def add_job(server, session_id, status, **fields):
    return server.call(server.state.add_job, session_id, status, **fields)


def test_a_job_has_every_documented_field(server, api, session_id):
    job = add_job(server, session_id, "running", input={"command": "npm test"}, output="Test 1 passed\n")
    assert set(job) >= JOB_KEYS
    assert job["id"].startswith("job_") and job["status"] == "running"
    assert job["time"]["started"] >= job["time"]["created"] and "completed" not in job["time"]
    fetched = api.get(f"/sessions/{session_id}/jobs/{job['id']}").json()
    assert fetched == job
    assert api.get(f"/sessions/{session_id}/jobs/{job['id']}/output").json() == {"output": "Test 1 passed\n"}
    missing = api.get(f"/sessions/{session_id}/jobs/job_nope")
    assert missing.status_code == 404 and named_errors(missing.json()) == "Job not found"


def test_output_is_capped_in_the_job_but_full_in_output(server, api, session_id):
    long = "".join(f"line {i}\n" for i in range(1000))
    job = add_job(server, session_id, "completed", output=long)
    assert len(job["output"]) < len(long) and long.endswith(job["output"])
    assert job["fullOutput"] == long
    assert api.get(f"/sessions/{session_id}/jobs/{job['id']}/output").json()["output"] == long


def test_list_filters_and_pages(server, api, session_id):
    statuses = ["completed", "running", "failed", "queued", "cancelled"]
    ids = [add_job(server, session_id, s)["id"] for s in statuses]
    assert [j["id"] for j in api.get(f"/sessions/{session_id}/jobs").json()["jobs"]] == ids
    active = api.get(f"/sessions/{session_id}/jobs", params={"status": "active"}).json()
    assert [j["status"] for j in active["jobs"]] == ["running", "queued"]
    done = api.get(f"/sessions/{session_id}/jobs", params={"status": "completed"}).json()
    assert [j["status"] for j in done["jobs"]] == ["completed", "failed", "cancelled"]
    assert "nextCursor" not in done
    page1 = api.get(f"/sessions/{session_id}/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in page1["jobs"]] == ids[:2] and page1["nextCursor"] == ids[1]
    page2 = api.get(f"/sessions/{session_id}/jobs", params={"limit": 2, "cursor": page1["nextCursor"]}).json()
    page3 = api.get(f"/sessions/{session_id}/jobs", params={"limit": 2, "cursor": page2["nextCursor"]}).json()
    assert [j["id"] for j in page2["jobs"] + page3["jobs"]] == ids[2:]
    assert "nextCursor" not in page3
    bad = api.get(f"/sessions/{session_id}/jobs", params={"status": "done"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"


def test_cancel_single_and_already_terminal(server, api, session_id, events):
    job = add_job(server, session_id, "running")
    body = api.post(f"/sessions/{session_id}/jobs/{job['id']}/cancel").json()
    assert body["message"] == "Job cancelled" and body["job"]["status"] == "cancelled"
    assert body["job"]["time"]["completed"]
    events.wait_for(lambda d: d["type"] == "job.updated" and d["properties"]["job"]["id"] == job["id"]
                    and d["properties"]["job"]["status"] == "cancelled")
    finished = add_job(server, session_id, "completed")
    again = api.post(f"/sessions/{session_id}/jobs/{finished['id']}/cancel")
    assert again.status_code == 200
    assert again.json() == {"job": finished, "message": "Job already terminal"}
    assert api.post(f"/sessions/{session_id}/jobs/job_nope/cancel").status_code == 404


def test_bulk_cancel_reports_per_id_and_validates(server, api, session_id):
    running = [add_job(server, session_id, "running")["id"] for _ in range(2)]
    done = add_job(server, session_id, "failed")["id"]
    body = api.post(f"/sessions/{session_id}/jobs/cancel", {"jobIds": [*running, done, "job_ghost"]}).json()
    assert body == {"cancelled": 2, "failed": [{"jobId": done, "reason": "already_terminal"},
                                               {"jobId": "job_ghost", "reason": "not_found"}]}
    everything_failed = api.post(f"/sessions/{session_id}/jobs/cancel", {"jobIds": ["job_ghost"]})
    assert everything_failed.status_code == 200 and everything_failed.json()["cancelled"] == 0
    for bad in ({"jobIds": []}, {"jobIds": ["x"] * 1001}, {}, {"jobIds": [1]}):
        response = api.post(f"/sessions/{session_id}/jobs/cancel", bad)
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "jobIds"


def test_retry_makes_a_new_job_and_refuses_the_rest(server, api, session_id):
    failed = add_job(server, session_id, "failed", tool="webfetch", input={"url": "https://example.com"},
                     error="Request timed out", message_id="msg_1", call_id="call_1", timeout=30000)
    body = api.post(f"/sessions/{session_id}/jobs/{failed['id']}/retry").json()
    assert set(body) == {"jobID", "sessionID", "status", "retriedFrom"}
    assert body["status"] == "queued" and body["retriedFrom"] == failed["id"] and body["jobID"] != failed["id"]
    new = api.get(f"/sessions/{session_id}/jobs/{body['jobID']}").json()
    for key in ("tool", "input", "messageID", "callID", "wakePolicy", "durability", "timeout"):
        assert new[key] == failed[key], key
    assert new["retries"]["count"] == failed["retries"]["count"] + 1
    assert api.get(f"/sessions/{session_id}/jobs/{failed['id']}").json()["status"] == "failed"

    completed = add_job(server, session_id, "completed")
    conflict = api.post(f"/sessions/{session_id}/jobs/{completed['id']}/retry")
    assert conflict.status_code == 409
    assert conflict.json() == {"error": "Job is not in a retryable terminal state",
                               "message": "Only failed, expired, or cancelled jobs can be retried. "
                                          "Current status: completed"}
    missing = api.post(f"/sessions/{session_id}/jobs/job_nope/retry")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Job not found", "message": "No job with id job_nope in this session"}
    gone = add_job(server, session_id, "failed", tool="legacy_tool")
    response = api.post(f"/sessions/{session_id}/jobs/{gone['id']}/retry")
    assert response.status_code == 410 and response.json()["error"] == "Tool factory no longer registered"
    parent = add_job(server, session_id, "failed", tool="task")
    child = add_job(server, session_id, "failed", parent_id=parent["id"])
    response = api.post(f"/sessions/{session_id}/jobs/{child['id']}/retry")
    assert response.status_code == 400
    assert response.json() == {"error": "Job is a child of another job",
                               "message": f"Retry the parent job ({parent['id']}) instead of this child"}
    parent_now = api.get(f"/sessions/{session_id}/jobs/{parent['id']}").json()
    assert parent_now["childJobIds"] == [child["id"]] and parent_now["totalChildren"] == 1
    assert parent_now["finishedChildJobIds"] == [child["id"]] and parent_now["groupID"] == child["groupID"]


def test_running_jobs_progress_and_finish(fresh):
    srv = fresh(scenario="none")
    api = Api(srv)
    sid = srv.call(srv.state.create_session, "jobs")["id"]
    state = srv.state
    spec = content.job_group_spec(random.Random(3))
    for child in spec.children:
        child.outcome, child.error = "completed", None
    spec.children[1].outcome, spec.children[1].error = "failed", "2 tests failed"
    with Events(f"{srv.base}/meta/events") as events:
        parent_id = srv.call(lambda: state.jobs.create(state.session(sid), spec).id)
        seen = []
        final = events.wait_for(lambda d: d["type"] == "job.updated" and (seen.append(d["properties"]["job"]) or True)
                                and d["properties"]["job"]["id"] == parent_id
                                and d["properties"]["job"]["status"] in ("completed", "failed"))
    parent = final["properties"]["job"]
    assert parent["status"] == "failed" and parent["totalChildren"] == 3
    assert sorted(parent["finishedChildJobIds"]) == sorted(parent["childJobIds"])
    statuses = [j["status"] for j in seen if j["id"] == parent_id]
    assert statuses[0] == "queued" and "running" in statuses
    percents = [j["progress"]["percent"] for j in seen if j["id"] == parent_id and j["status"] == "running"]
    assert percents == sorted(percents)
    children = {j["id"]: j for j in api.get(f"/sessions/{sid}/jobs").json()["jobs"] if j["parentJobId"] == parent_id}
    assert sorted(j["status"] for j in children.values()) == ["completed", "completed", "failed"]
    assert all(j["groupID"] == parent["groupID"] and j["groupID"] for j in children.values())
    retried = api.post(f"/sessions/{sid}/jobs/{parent_id}/retry").json()
    assert retried["retriedFrom"] == parent_id


def test_inject_attaches_manual_job_results(server, api, session_id):
    server.call(server.state.add_message, session_id, "user", "please review")
    manual = add_job(server, session_id, "completed", tool="rsi", output="3 findings\n", wake_policy="manual")
    auto = add_job(server, session_id, "completed", output="ok\n")
    running = add_job(server, session_id, "running", wake_policy="manual")
    body = api.post(f"/sessions/{session_id}/jobs/inject").json()
    assert body == {"injected": 1, "failed": 0, "message": "Injected 1 job result(s) into session context"}
    assert api.get(f"/sessions/{session_id}/jobs/{manual['id']}").json()["completionProcessed"] is True
    user = api.get(f"/sessions/{session_id}/messages").json()[-1]
    assert any(p.get("synthetic") and "3 findings" in p["text"] for p in user["parts"])
    explicit = api.post(f"/sessions/{session_id}/jobs/inject", {"jobIds": [auto["id"], running["id"], "job_x"]})
    assert explicit.json()["injected"] == 1 and explicit.json()["failed"] == 2
    assert api.post(f"/sessions/{session_id}/jobs/inject", {"jobIds": []}).json()["injected"] == 0
    server.call(server.state.set_loop, session_id, "go", 3)
    busy = api.post(f"/sessions/{session_id}/jobs/inject", {})
    assert busy.status_code == 409
    assert busy.json() == {"error": "Session prompt loop is active", "code": "loop_already_active"}
    server.call(server.state.clear_loop, session_id)


# --- loop ----------------------------------------------------------------------------------


def test_loop_validation_and_conflicts(server, api, session_id):
    url = f"/sessions/{session_id}/loop"
    assert api.get(url).json() is None
    cases = [
        ({"prompt": "x", "iters": 0}, [{"field": "iters", "message": "Must be between 1 and 100"}]),
        ({"prompt": "x", "iters": 101}, [{"field": "iters", "message": "Must be between 1 and 100"}]),
        ({"prompt": "", "iters": 3}, [{"field": "prompt", "message": "Must be between 1 and 8000 characters"}]),
        ({"prompt": "x" * 8001, "iters": 3}, [{"field": "prompt", "message": "Must be between 1 and 8000 characters"}]),
        ({}, [{"field": "prompt", "message": "Required"}, {"field": "iters", "message": "Required"}]),
        ({"prompt": "x", "iters": True}, [{"field": "iters", "message": "Must be between 1 and 100"}]),
    ]
    for body, errors in cases:
        response = api.post(url, body)
        assert response.status_code == 400, body
        assert response.json() == {"data": {}, "errors": errors, "success": False}
    loop = server.call(server.state.set_loop, session_id, "Run the tests", 5)
    assert set(loop) == {"prompt", "iters", "iter", "started_at", "launch_id", "agent", "model", "system"}
    assert loop["iter"] == 0 and loop["launch_id"].startswith("launch_")
    assert api.get(url).json() == loop
    conflict = api.post(url, {"prompt": "again", "iters": 2})
    assert conflict.status_code == 409
    assert conflict.json() == {"error": "A loop is already active on this session", "code": "loop_already_active"}
    assert api.delete(url).json() is True
    assert api.get(url).json() is None
    assert api.delete(url).json() is True, "idempotent"
    assert api.get("/sessions/sess_nope/loop").status_code == 404


def test_a_busy_session_refuses_a_loop(api, session_id, events):
    api.post(f"/sessions/{session_id}/prompt_async", {"parts": [{"type": "text", "text": "`rm -rf build/`"}]})
    asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
    busy = api.post(f"/sessions/{session_id}/loop", {"prompt": "x", "iters": 2})
    assert busy.status_code == 409 and busy.json()["code"] == "session_busy"
    api.post(f"/permissions/{asked['id']}/reply", {"reply": "reject"})
    events.wait_type("session.idle", sessionID=session_id)


def test_a_loop_iterates_then_clears_itself(api, session_id, events):
    loop = api.post(f"/sessions/{session_id}/loop", {"prompt": "Run `npm test` and fix failures", "iters": 2}).json()
    assert loop["iter"] == 0 and loop["iters"] == 2
    iters = []
    while True:
        data = events.wait_type("loop.updated", sessionID=session_id)["properties"]
        if data["loop"] is None:
            break
        iters.append(data["loop"]["iter"])
    assert iters == [0, 1, 2]
    assert api.get(f"/sessions/{session_id}/loop").json() is None
    users = [m for m in api.get(f"/sessions/{session_id}/messages").json() if m["info"]["role"] == "user"]
    assert [u["parts"][0]["text"] for u in users] == [loop["prompt"]] * 2


def test_deleting_a_loop_cancels_the_running_prompt(api, session_id, events):
    api.post(f"/sessions/{session_id}/loop", {"prompt": "`rm -rf build/`", "iters": 3})
    asked = events.wait_type("permission.asked", sessionID=session_id)["properties"]
    assert api.delete(f"/sessions/{session_id}/loop").json() is True
    assert events.wait_type("loop.updated", sessionID=session_id, loop=None)
    events.wait_type("permission.replied", requestID=asked["id"], reply="reject")
    events.wait_type("session.idle", sessionID=session_id)
    assistant = api.get(f"/sessions/{session_id}/messages/{asked['tool']['messageID']}").json()
    assert assistant["info"]["error"]["name"] == "MessageAbortedError"


# --- CLI agent -----------------------------------------------------------------------------


def test_cli_agent_validation(api, session_id):
    url = f"/sessions/{session_id}/cli-agent"
    cases = [({}, {"agent", "prompt"}), ({"agent": "Nope", "prompt": "x"}, {"agent"}),
             ({"agent": "codex", "prompt": "x" * 100_001}, {"prompt"}),
             ({"agent": "codex", "prompt": "x", "timeout": -1, "git": "yes", "model": 3}, {"timeout", "git", "model"})]
    for body, fields in cases:
        response = api.post(url, body)
        assert response.status_code == 400, body
        assert {e["field"] for e in response.json()["errors"]} == fields


def read_named(frames, until):
    """(event, data) pairs of a named-event stream (an ``iter_sse()`` iterator) up to and
    including ``until``."""
    out = []
    for sse in frames:
        data = json.loads(sse.data)
        assert data["type"] == sse.event, "every data JSON repeats its type"
        out.append((sse.event, data))
        if sse.event == until:
            return out
    raise AssertionError(f"the stream closed before {until!r}")


def test_cli_agent_run_is_a_job(server, api, session_id, events):
    started = api.post(f"/sessions/{session_id}/cli-agent",
                       {"agent": "Codex", "prompt": "Investigate the failing login test", "timeout": 9_999_999})
    assert started.status_code == 200
    body = started.json()
    assert set(body) == {"jobID", "sessionID", "status"}
    assert body["status"] == "queued" and body["sessionID"] == session_id and body["jobID"].startswith("job_")
    done = events.wait_for(lambda d: d["type"] == "job.updated" and d["properties"]["job"]["id"] == body["jobID"]
                           and d["properties"]["job"]["status"] == "completed")["properties"]["job"]
    assert done["tool"] == "cli_agent" and done["timeout"] == 600_000 and done["wakePolicy"] == "manual"
    assert done["input"]["agent"] == "Codex" and "Found the issue" in done["output"]


def test_cli_agent_stream_snapshot_progress_complete(server, session_id):
    state = server.state
    spec = content.cli_agent_spec("Codex", "Investigate", "gpt-5-codex", 300_000, random.Random(1))
    job_id = server.call(lambda: state.jobs.create(state.session(session_id), spec, run=False).id)
    url = f"{server.base}/sessions/{session_id}/cli-agent/runs/{job_id}/stream"
    with httpx.Client(timeout=TIMEOUT) as client, connect_sse(client, "GET", url) as source:
        assert source.response.headers["content-type"] == "text/event-stream"
        stream = source.iter_sse()
        first = next(stream)
        assert first.event == "snapshot" and json.loads(first.data) == {
            "type": "snapshot", "job": api_job(server, session_id, job_id)}
        server.call(lambda: state.jobs.start(state.jobs.records[job_id]))  # start it only now
        frames = read_named(stream, "complete")
        assert list(stream) == [], "the stream closes after complete"
    names = [name for name, _ in frames]
    assert names[-1] == "complete" and names.count("progress") >= 4
    progress = [d for n, d in frames if n == "progress"]
    assert all(set(p) == {"type", "message", "percent"} for p in progress)
    assert [p["percent"] for p in progress] == sorted(p["percent"] for p in progress)
    final = frames[-1][1]["job"]
    assert final["id"] == job_id and final["status"] == "completed" and "Found the issue" in final["output"]

    with httpx.Client(timeout=TIMEOUT) as client, connect_sse(client, "GET", url) as source:
        names = [n for n, _ in read_named(source.iter_sse(), "complete")]
        assert names == ["complete"], "terminal job: complete at once"
    missing = httpx.get(f"{server.base}/sessions/{session_id}/cli-agent/runs/job_nope/stream")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"


def api_job(server, session_id, job_id):
    return httpx.get(f"{server.base}/sessions/{session_id}/jobs/{job_id}", timeout=TIMEOUT).json()
