"""Jobs (by id, result, cancel/delete) and background tasks (snapshot and transcript
on the stream, cancel)."""

from __future__ import annotations

from .helpers import Frames, wait_until


def test_a_job_by_id_its_result_and_its_cancel(gw, http, sid):
    job = gw.call(gw.state.start_turn, sid, "hold on", hold=True)
    view = wait_until(lambda: (v := http.get(f"/jobs/{job['id']}").json())["status"] == "running" and v, "running")
    assert view["kind"] == "turn" and view["session_id"] == sid and view["run_id"].startswith("run_")
    pending = http.get(f"/jobs/{job['id']}/result")
    assert pending.status_code == 202 and pending.json()["result"] is None
    cancelled = http.delete(f"/jobs/{job['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert http.get(f"/sessions/{sid}").json()["turn_in_flight"] is False, "cancelling the job stops the turn"
    result = http.get(f"/jobs/{job['id']}/result")
    assert result.status_code == 200 and result.json()["status"] == "cancelled"
    assert http.delete(f"/jobs/{job['id']}").json() == {"ok": True, "id": job["id"], "deleted": True}
    missing = http.get(f"/jobs/{job['id']}")
    assert missing.status_code == 404 and missing.json()["code"] == "job_not_found"


def test_a_finished_turn_job_has_its_reply_as_result(http, sid):
    job = http.post(f"/sessions/{sid}/messages", json={"text": "Summarise the repo"}).json()["job_id"]
    wait_until(lambda: http.get(f"/jobs/{job}").json()["status"] == "completed", "the turn to end")
    result = http.get(f"/jobs/{job}/result").json()
    assert result["result"]["ok"] is True and "Summarise the repo" in result["result"]["text"]


def test_tasks_snapshot_and_transcript_arrive_on_the_stream(gw, http, sid):
    task = gw.call(gw.state.add_background_task, sid, "npm test")
    head = gw.call(gw.state.head_seq, sid)
    with Frames(f"{gw.base}/sessions/{sid}/stream?since={head}") as frames:
        ack = http.get(f"/sessions/{sid}/tasks")
        assert ack.status_code == 200 and ack.json()["ok"] is True
        snapshot = frames.of_type("event.tasks_snapshot")
        assert snapshot["tasks"] == [{"tid": task["tid"], "status": "running", "title": "npm test"}]
        assert http.get(f"/sessions/{sid}/tasks/{task['tid']}/transcript", params={"after_seq": 0}).status_code == 200
        transcript = frames.of_type("event.task_transcript")
        assert transcript["tid"] == task["tid"] and transcript["entries"][0]["text"] == "Started: npm test"
        cancelled = http.post(f"/sessions/{sid}/tasks/{task['tid']}/cancel").json()
        assert cancelled["status"] == "cancelled"
        assert frames.of_type("event.tasks_snapshot")["tasks"][0]["status"] == "cancelled"
    other = gw.call(gw.state.add_background_task, sid, "npm run build")
    assert http.post(f"/sessions/{sid}/tasks/cancel").json() == {"ok": True, "cancelled": 1}
    assert http.get(f"/sessions/{sid}/tasks/task_nope/transcript").json()["code"] == "task_not_found"
    assert other["status"] == "running"


def test_tasks_survive_a_cancelled_turn(gw, http, sid):
    task = gw.call(gw.state.add_background_task, sid, "long job")
    gw.call(gw.state.start_turn, sid, hold=True)
    http.post(f"/sessions/{sid}/cancel")
    assert gw.call(lambda: gw.state.session(sid).tasks[task["tid"]].status) == "running"
