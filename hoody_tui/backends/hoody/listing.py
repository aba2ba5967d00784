"""Listing a hoody workspace over REST for a resync (list-then-watch)."""

from __future__ import annotations

import asyncio

from ...api.errors import NotFound
from ...api.jobs import Job
from ...api.loops import Loop
from ...api.sessions import Session
from ...store.state import Snapshot
from .client import HoodyClient

__all__ = ["fetch_snapshot", "fetch_core", "fetch_details", "DETAIL_SESSIONS"]

DETAIL_SESSIONS = 50
"""Jobs and loops are per-session routes: list them for this many most recent sessions."""


async def fetch_snapshot(
    client: HoodyClient, *, detail_sessions: int = DETAIL_SESSIONS, concurrency: int = 8
) -> Snapshot:
    """Everything a resync replaces: :func:`fetch_core`, then :func:`fetch_details`."""
    snapshot = await fetch_core(client)
    snapshot.jobs, snapshot.loops = await fetch_details(
        client, snapshot.sessions, detail_sessions=detail_sessions, concurrency=concurrency
    )
    return snapshot


async def fetch_core(client: HoodyClient) -> Snapshot:
    """Sessions, statuses and gates: four requests at once, enough to show the workspace."""
    sessions, statuses, permissions, questions = await asyncio.gather(
        client.list_sessions(), client.session_statuses(), client.pending_permissions(), client.questions()
    )
    return Snapshot(sessions, statuses, permissions, questions)


async def fetch_details(
    client: HoodyClient, sessions: list[Session], *, detail_sessions: int = DETAIL_SESSIONS, concurrency: int = 8
) -> tuple[list[Job], dict[str, Loop | None]]:
    """The active jobs and loops of the most recently updated sessions (a session deleted
    meanwhile is skipped): two requests a session, so they come after the workspace is shown.

    Only active jobs are listed: finished ones arrive as events, and a session's whole
    history is paged on demand by the jobs view, so a resync stays cheap however many
    jobs a workspace has accumulated.
    """
    recent = sorted(sessions, key=lambda s: s.updated_ms or 0, reverse=True)[:detail_sessions]
    gate = asyncio.Semaphore(concurrency)

    async def details(session: Session) -> tuple[str, list[Job], Loop | None]:
        async with gate:
            try:
                jobs = [job async for job in client.iter_jobs(session.id, status="active")]
                loop = await client.get_loop(session.id)
            except NotFound:
                return session.id, [], None
            return session.id, jobs, loop

    results = await asyncio.gather(*(details(s) for s in recent), return_exceptions=True)
    jobs: list[Job] = []
    loops: dict[str, Loop | None] = {}
    for result in results:
        if isinstance(result, BaseException):
            raise result
        session_id, session_jobs, loop = result
        jobs.extend(session_jobs)
        loops[session_id] = loop
    return jobs, loops
