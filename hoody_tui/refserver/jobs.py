"""Background jobs (contract 1.9): records in the documented Job shape, a runner that
moves them through ``queued -> running -> completed|failed|expired`` with progress
(``job.updated`` on every change), cancel, retry and inject.

A parent job (a :class:`~.script.JobSpec` with children) starts its children when it
runs, tracks ``childJobIds``/``finishedChildJobIds``, and fails if any child failed.
"""

from __future__ import annotations

import asyncio
import builtins  # in Jobs' signatures a bare `list` is the method Jobs.list
import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .catalog import JOB_TOOLS
from .errors import ApiError
from .script import JobSpec, JobStep

if TYPE_CHECKING:
    from .state import SessionRec, Workspace

__all__ = ["Jobs", "JobRec", "TERMINAL", "ACTIVE", "OUTPUT_CAP"]

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
ACTIVE = frozenset({"queued", "running"})
RETRYABLE = frozenset({"failed", "expired", "cancelled"})
OUTPUT_CAP = 2000
"""``Job.output`` keeps the last this-many characters; ``fullOutput`` and ``/output`` keep all."""


@dataclass
class JobRec:
    """A job: its JSON ``info``, the uncapped output, how it runs, and its task."""

    info: dict[str, Any]
    full_output: str
    spec: JobSpec
    task: asyncio.Task[Any] | None = None

    @property
    def id(self) -> str:
        return str(self.info["id"])

    @property
    def status(self) -> str:
        return str(self.info["status"])

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


class Jobs:
    """Every job of the workspace, by id (ids sort in creation order)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.records: dict[str, JobRec] = {}

    # --- records ---------------------------------------------------------------------

    def _new(
        self,
        session_id: str,
        spec: JobSpec,
        *,
        message_id: str | None,
        call_id: str | None,
        parent: JobRec | None,
        group_id: str | None,
        retries: dict[str, int] | None = None,
    ) -> JobRec:
        jid = self.ws.new_id("job")
        info: dict[str, Any] = {
            "id": jid, "sessionID": session_id, "messageID": message_id, "callID": call_id, "tool": spec.tool,
            "status": "queued", "input": copy.deepcopy(spec.input), "progress": {"message": "Queued", "percent": 0},
            "output": "", "fullOutput": "", "attachments": [], "metadata": {},
            "time": {"created": self.ws.now()}, "wakePolicy": spec.wake_policy, "durability": "session",
            "groupID": group_id, "timeout": spec.timeout, "retries": retries or {"max": 2, "count": 0},
            "completionProcessed": False, "parentJobId": parent.id if parent else None, "childJobIds": [],
            "totalChildren": 0, "finishedChildJobIds": [],
        }
        rec = JobRec(info, "", spec)
        self.records[jid] = rec
        if parent is not None:
            parent.info["childJobIds"].append(jid)
            parent.info["totalChildren"] = len(parent.info["childJobIds"])
        return rec

    def create(
        self,
        rec: SessionRec,
        spec: JobSpec,
        *,
        message_id: str | None = None,
        call_id: str | None = None,
        retries: dict[str, int] | None = None,
        run: bool = True,
    ) -> JobRec:
        """A queued job (``job.updated``), started at once when ``run``."""
        group = self.ws.new_id("grp") if spec.children else None
        job = self._new(rec.id, spec, message_id=message_id, call_id=call_id, parent=None, group_id=group,
                        retries=retries)
        self._changed(job)
        if run:
            self._start(job)
        return job

    def add(self, rec: SessionRec, status: str = "running", **fields: Any) -> JobRec:
        """A job record with any status, for tests and history. Fields: ``tool``, ``input``,
        ``output``, ``error``, ``parent_id``, ``wake_policy``, ``completion_processed``,
        ``progress``, ``message_id``, ``call_id``, ``timeout``, ``retries``, ``run``
        (start the runner: only for ``queued``/``running``), ``spec`` (a JobSpec)."""
        spec: JobSpec = fields.pop("spec", None) or JobSpec(
            fields.pop("tool", "bash"), fields.pop("input", None) or {"command": "npm test"},
            [JobStep("Working...", 50)], outcome="completed", final_output="done\n",
        )
        spec.wake_policy = fields.pop("wake_policy", spec.wake_policy)
        spec.timeout = fields.pop("timeout", spec.timeout)
        parent_id = fields.pop("parent_id", None)
        parent = self.records.get(parent_id) if parent_id else None
        if parent_id and parent is None:
            raise ApiError.not_found("Job not found")
        job = self._new(
            rec.id, spec, message_id=fields.pop("message_id", None), call_id=fields.pop("call_id", None),
            parent=parent, group_id=parent.info["groupID"] if parent else None, retries=fields.pop("retries", None),
        )
        if parent is not None and parent.info["groupID"] is None:
            parent.info["groupID"] = job.info["groupID"] = self.ws.new_id("grp")
        run = bool(fields.pop("run", False))
        output = fields.pop("output", None)
        error = fields.pop("error", None)
        job.info["completionProcessed"] = bool(fields.pop("completion_processed", False))
        progress = fields.pop("progress", None)
        if fields:
            raise TypeError(f"unknown job field(s): {', '.join(sorted(fields))}")
        now = self.ws.now()
        if output:
            self._append(job, output)
        if status != "queued":
            job.info["time"]["started"] = now
            job.info["status"] = "running"
            job.info["progress"] = progress or {"message": "Running...", "percent": 40}
        if status in TERMINAL:
            self._finish(job, status, error, emit=False)
        elif status not in ACTIVE:
            job.info["status"] = status  # an unknown status, kept verbatim
        if progress is not None:
            job.info["progress"] = progress
        self._changed(job)
        if parent is not None:
            self._changed(parent)
        if run and status in ACTIVE:
            self._start(job)
        return job

    def get(self, session_id: str, job_id: str) -> JobRec:
        job = self.records.get(job_id)
        if job is None or job.info["sessionID"] != session_id:
            raise ApiError.not_found("Job not found")
        return job

    def list(self, session_id: str, status: str = "all") -> list[JobRec]:
        """The session's jobs, oldest first; ``active`` = not terminal, ``completed`` = terminal."""
        jobs = sorted((j for j in self.records.values() if j.info["sessionID"] == session_id), key=lambda j: j.id)
        if status == "active":
            return [j for j in jobs if not j.terminal]
        if status == "completed":
            return [j for j in jobs if j.terminal]
        return jobs

    def drop_session(self, session_id: str) -> None:
        """Forget a deleted session's jobs, stopping the running ones without events."""
        for job in [j for j in self.records.values() if j.info["sessionID"] == session_id]:
            if not job.terminal:
                job.info["status"] = "cancelled"  # silently: the session is gone
            if job.task is not None:
                job.task.cancel()
            self.records.pop(job.id, None)

    # --- state changes ---------------------------------------------------------------

    def _changed(self, job: JobRec) -> None:
        self.ws.event("job.updated", job=job.info)

    def _append(self, job: JobRec, text: str) -> None:
        job.full_output += text
        job.info["fullOutput"] = job.full_output
        job.info["output"] = job.full_output[-OUTPUT_CAP:]

    def _finish(self, job: JobRec, status: str, error: str | None = None, *, emit: bool = True) -> None:
        """Make a job terminal (no-op if it already is) and tell its parent."""
        if job.terminal:
            return
        job.info["status"] = status
        job.info["time"]["completed"] = self.ws.now()
        if status == "completed":
            job.info["progress"] = {"message": "Completed", "percent": 100}
        else:
            label = {"failed": "Failed", "expired": "Expired", "cancelled": "Cancelled"}.get(status, status)
            job.info["progress"] = {"message": label, "percent": job.info["progress"].get("percent", 0)}
        if error:
            job.info["error"] = error
        if emit:
            self._changed(job)
        parent = self.records.get(job.info["parentJobId"] or "")
        if parent is not None and job.id not in parent.info["finishedChildJobIds"]:
            parent.info["finishedChildJobIds"].append(job.id)
            if emit:
                self._changed(parent)

    def start(self, job: JobRec) -> None:
        """Run a queued job (``create(run=False)`` leaves it for the caller to start)."""
        if job.task is None and job.status == "queued":
            self._start(job)

    def _start(self, job: JobRec) -> None:
        job.task = self.ws.spawn(self._run(job), name=f"job {job.id}")

    async def _run(self, job: JobRec) -> None:
        spec = job.spec
        rng = self.ws.rng(f"job:{job.id}")
        try:
            await self.ws.sleep(0.2 + rng.random() * 0.3)
            if spec.outcome == "expired":
                self._finish(job, "expired", "The job expired before it started")
                return
            job.info["status"] = "running"
            job.info["time"]["started"] = self.ws.now()
            job.info["progress"] = {"message": "Starting...", "percent": 0}
            self._changed(job)
            children = [self._new(job.info["sessionID"], c, message_id=job.info["messageID"],
                                  call_id=job.info["callID"], parent=job, group_id=job.info["groupID"])
                        for c in spec.children]
            for child in children:
                self._changed(child)
                self._start(child)
            if children:
                self._changed(job)
            for step in spec.steps:
                job.info["progress"] = {"message": step.message, "percent": step.percent}
                if step.line:
                    self._append(job, step.line)
                self._changed(job)
                await self.ws.sleep(0.35 + rng.random() * 0.6)
            if children:
                await asyncio.gather(*(c.task for c in children if c.task is not None), return_exceptions=True)
                failed = [c.id for c in children if c.status != "completed"]
                job.info["progress"] = {"message": f"{len(children) - len(failed)}/{len(children)} shards passed",
                                        "percent": 100}
                if failed:
                    self._append(job, f"{len(failed)} child job(s) failed: {', '.join(failed)}\n")
                    self._finish(job, "failed", f"{len(failed)} of {len(children)} child jobs failed")
                    return
            self._append(job, spec.final_output)
            if spec.outcome == "completed" and spec.tool == "webfetch":
                job.info["attachments"] = [{"mime": "text/markdown",
                                            "url": f"https://files.hoody.local/jobs/{job.id}/output.md"}]
            self._finish(job, spec.outcome, spec.error)
        except asyncio.CancelledError:
            self._finish(job, "cancelled")
            raise

    # --- REST operations -------------------------------------------------------------

    def cancel(self, session_id: str, job_id: str) -> tuple[dict[str, Any], str]:
        """``POST …/jobs/{id}/cancel``: (job, message); a terminal job is left unchanged."""
        job = self.get(session_id, job_id)
        if job.terminal:
            return job.info, "Job already terminal"
        self._cancel(job)
        return job.info, "Job cancelled"

    def _cancel(self, job: JobRec) -> None:
        for child_id in job.info["childJobIds"]:
            child = self.records.get(child_id)
            if child is not None and not child.terminal:
                self._cancel(child)
        self._finish(job, "cancelled")
        if job.task is not None and not job.task.done():
            job.task.cancel()

    def cancel_many(self, session_id: str, job_ids: builtins.list[str]) -> dict[str, Any]:
        """``POST S/jobs/cancel``: per-id outcome, never an error."""
        cancelled = 0
        failed: list[dict[str, str]] = []
        for jid in job_ids:
            job = self.records.get(jid)
            if job is None or job.info["sessionID"] != session_id:
                failed.append({"jobId": jid, "reason": "not_found"})
            elif job.terminal:
                failed.append({"jobId": jid, "reason": "already_terminal"})
            else:
                self._cancel(job)
                cancelled += 1
        return {"cancelled": cancelled, "failed": failed}

    def retry(self, rec: SessionRec, job_id: str) -> dict[str, Any]:
        """``POST …/jobs/{id}/retry``: a new job copying the original's tool, input,
        messageID, callID, wakePolicy, durability and timeout; the original stays."""
        job = self.records.get(job_id)
        if job is None or job.info["sessionID"] != rec.id:
            raise ApiError.job(404, "Job not found", f"No job with id {job_id} in this session", "NOT_FOUND")
        if job.info["parentJobId"]:
            raise ApiError.job(
                400, "Job is a child of another job",
                f"Retry the parent job ({job.info['parentJobId']}) instead of this child", "CHILD_JOB",
            )
        if job.status not in RETRYABLE:
            raise ApiError.job(
                409, "Job is not in a retryable terminal state",
                f"Only failed, expired, or cancelled jobs can be retried. Current status: {job.status}",
                "NOT_RETRYABLE",
            )
        if job.info["tool"] not in JOB_TOOLS:
            raise ApiError.job(
                410, "Tool factory no longer registered",
                "Cannot retry: the tool that produced this job is no longer available", "TOOL_UNAVAILABLE",
            )
        spec = _succeeding(job.spec)
        spec.tool, spec.input = job.info["tool"], copy.deepcopy(job.info["input"])
        spec.wake_policy, spec.timeout = job.info["wakePolicy"], job.info["timeout"]
        retries = {"max": job.info["retries"].get("max", 2), "count": job.info["retries"].get("count", 0) + 1}
        new = self.create(rec, spec, message_id=job.info["messageID"], call_id=job.info["callID"], retries=retries)
        new.info["metadata"]["retriedFrom"] = job.id
        return {"jobID": new.id, "sessionID": rec.id, "status": "queued", "retriedFrom": job.id}

    def inject(self, rec: SessionRec, job_ids: builtins.list[str] | None) -> dict[str, Any]:
        """``POST S/jobs/inject``: attach summaries of terminal, unprocessed jobs to the last
        user message (or a new one). ``None`` = every such job with the ``manual`` policy."""
        if rec.loop is not None:
            raise ApiError.conflict("Session prompt loop is active", "loop_already_active")
        mine = [j for j in self.list(rec.id) if j.terminal and not j.info["completionProcessed"]]
        if job_ids is None:
            chosen = [j for j in mine if j.info["wakePolicy"] == "manual"]
            failed = 0
        else:
            eligible = {j.id: j for j in mine}
            chosen = [eligible[j] for j in dict.fromkeys(job_ids) if j in eligible]
            failed = len(job_ids) - len(chosen)
        if chosen:
            msg = self.ws.last_user_message(rec) or self.ws.new_message(rec, "user")
            for job in chosen:
                text = (f"[Background job {job.id} ({job.info['tool']}) {job.status}]\n"
                        f"{job.full_output[-OUTPUT_CAP:] or job.info.get('error') or '(no output)'}")
                self.ws.upsert_part(msg, self.ws.new_part(msg, "text", text=text, synthetic=True))
                job.info["completionProcessed"] = True
                self._changed(job)
        n = len(chosen)
        return {"injected": n, "failed": failed, "message": f"Injected {n} job result(s) into session context"}


def _succeeding(spec: JobSpec) -> JobSpec:
    """A copy of ``spec`` that succeeds (a retry is worth it), children included."""
    clone = copy.deepcopy(spec)
    clone.outcome, clone.error = "completed", None
    if not clone.final_output:
        clone.final_output = "Completed on retry.\n"
    clone.children = [_succeeding(c) for c in spec.children]
    return clone
