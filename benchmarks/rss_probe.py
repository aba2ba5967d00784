"""RSS probe: a fresh process builds a WorkspaceStore and applies N synthetic events,
parsed from JSON bytes with ``hoody_tui.api.parse_event`` as the stream would, then
prints its VmRSS.

Usage: ``python -m benchmarks.rss_probe N [SESSIONS]``. Prints one JSON line.

The events mimic a busy workspace: per session, assistant messages whose text parts
grow by a delta per ``message.part.updated`` (about 40 updates over two parts per
message, the text reaching ~1.2 kB), ``message.updated`` when a message starts,
``session.status`` busy/idle flips, and ``job.updated`` progress on a rolling job
(a new job every 10 updates). Mix: ~80 % parts, 10 % status, 10 % jobs.
"""

from __future__ import annotations

import random
import sys
import time

import orjson

from hoody_tui.api import parse_event
from hoody_tui.store.state import WorkspaceStore

WORDS = ("the ", "session ", "cookie ", "is ", "written ", "after ", "redirect ", "so ", "login ", "fails. ",
         "Moving ", "write ", "before ", "fixes ", "loop ", "and ", "tests ", "pass. ")
UPDATES_PER_PART = 20
PARTS_PER_MESSAGE = 2
JOB_UPDATES_PER_JOB = 10
BATCH = 1000


def vm_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class _Session:
    __slots__ = ("id", "msg", "n_msg", "part", "n_part", "updates", "text", "job", "job_updates", "n_job", "busy")

    def __init__(self, i: int) -> None:
        self.id = f"ses_{i:08d}bench"
        self.n_msg = 0
        self.n_job = 0
        self.busy = False
        self.new_message()
        self.new_job()

    def new_message(self) -> None:
        self.n_msg += 1
        self.msg = f"msg_{self.id}_{self.n_msg:06d}"
        self.n_part = 0
        self.new_part()

    def new_part(self) -> None:
        self.n_part += 1
        self.part = f"prt_{self.msg}_{self.n_part}"
        self.updates = 0
        self.text = ""

    def new_job(self) -> None:
        self.n_job += 1
        self.job = f"job_{self.id}_{self.n_job:06d}"
        self.job_updates = 0


def events(n: int, sessions: int, seed: int = 1):
    """Yield ``n`` events as JSON bytes (after one session.updated per session)."""
    rng = random.Random(seed)
    now = 1_760_000_000_000
    table = [_Session(i) for i in range(sessions)]
    for s in table:
        yield orjson.dumps({"type": "session.updated", "properties": {"info": {
            "id": s.id, "title": f"Bench session {s.id}", "directory": "/work/project", "projectID": "prj_bench",
            "version": "1.0.0", "time": {"created": now, "updated": now}}}})
    for _k in range(n):
        s = table[rng.randrange(sessions)]
        now += 1
        roll = rng.random()
        if roll < 0.8:
            if s.updates == 0 and s.n_part == 1:
                yield orjson.dumps({"type": "message.updated", "properties": {"info": {
                    "id": s.msg, "sessionID": s.id, "role": "assistant", "time": {"created": now},
                    "modelID": "claude-sonnet-4", "providerID": "anthropic", "mode": "build",
                    "cost": 0.0, "tokens": {"input": 1200, "output": 40 * s.n_msg, "reasoning": 0,
                                            "cache": {"read": 0, "write": 0}}}}})
                continue
            delta = "".join(rng.choice(WORDS) for _ in range(6))
            s.text += delta
            s.updates += 1
            yield orjson.dumps({"type": "message.part.updated", "properties": {"part": {
                "id": s.part, "sessionID": s.id, "messageID": s.msg, "type": "text", "text": s.text,
                "time": {"start": now}}, "delta": delta}})
            if s.updates >= UPDATES_PER_PART:
                if s.n_part >= PARTS_PER_MESSAGE:
                    s.new_message()
                else:
                    s.new_part()
        elif roll < 0.9:
            s.busy = not s.busy
            yield orjson.dumps({"type": "session.status", "properties": {
                "sessionID": s.id, "status": {"type": "busy" if s.busy else "idle"}}})
        else:
            s.job_updates += 1
            done = s.job_updates >= JOB_UPDATES_PER_JOB
            yield orjson.dumps({"type": "job.updated", "properties": {"job": {
                "id": s.job, "sessionID": s.id, "messageID": s.msg, "callID": f"call_{s.job}", "tool": "bash",
                "status": "completed" if done else "running", "input": {"command": "npm test"},
                "progress": {"message": "Running test suite...", "percent": s.job_updates * 10},
                "output": "Test 1 passed\n" * s.job_updates, "time": {"created": now, "started": now},
                "wakePolicy": "auto", "durability": "session", "timeout": 60000,
                "retries": {"max": 2, "count": 0}, "completionProcessed": False}}})
            if done:
                s.new_job()


def run(n: int, sessions: int = 1000) -> dict:
    store = WorkspaceStore()
    idle = vm_rss_mb()
    t0 = time.perf_counter()
    batch = []
    count = 0
    for raw in events(n, sessions):
        batch.append(parse_event(orjson.loads(raw)))
        if len(batch) >= BATCH:
            store.apply_many(batch)
            count += len(batch)
            batch = []
    if batch:
        store.apply_many(batch)
        count += len(batch)
    elapsed = time.perf_counter() - t0
    return {"events": n, "applied": store.events_applied, "sessions": len(store.sessions), "jobs": len(store.jobs),
            "rss_idle_mb": idle, "rss_mb": vm_rss_mb(), "seconds": elapsed}


if __name__ == "__main__":
    print(orjson.dumps(run(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000)).decode(), flush=True)
