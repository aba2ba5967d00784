"""The three streams of the hoody workspace API, built on :class:`SseStream`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...api.events import parse_cli_agent_event, parse_event, parse_message_stream_event
from ...api.transport import segment as _seg
from ...events.sse import SseStream

if TYPE_CHECKING:
    from .client import HoodyClient

__all__ = ["workspace_events", "message_stream", "cli_agent_stream"]


def workspace_events(client: HoodyClient, **options: Any) -> SseStream:
    """``meta/events``: every event of the workspace, forever, with a resync on each connect.
    A 404 is final: the workspace does not exist there (retrying cannot make it appear)."""

    async def path() -> str:
        return await client.workspace_path("meta", "events")

    options.setdefault("description", "workspace event stream")
    options.setdefault("final_on_not_found", True)
    return SseStream(client, path, parse_event, **options)


def message_stream(client: HoodyClient, session_id: str, message_id: str, **options: Any) -> SseStream:
    """One assistant message until ``done``. A re-opened stream starts with a new snapshot,
    which replaces what the reader had, so no resync marker is needed."""

    async def path() -> str:
        return await client.session_path(session_id, "messages", _seg(message_id), "stream")

    options.setdefault("description", f"stream of message {message_id}")
    return SseStream(
        client, path, parse_message_stream_event,
        terminal_types=frozenset({"done"}), resync_on_connect=False, final_on_not_found=True,
        **options,
    )


def cli_agent_stream(client: HoodyClient, session_id: str, job_id: str, **options: Any) -> SseStream:
    """One CLI-agent run until ``complete``."""

    async def path() -> str:
        return await client.session_path(session_id, "cli-agent", "runs", _seg(job_id), "stream")

    options.setdefault("description", f"stream of CLI-agent run {job_id}")
    return SseStream(
        client, path, parse_cli_agent_event,
        terminal_types=frozenset({"complete"}), resync_on_connect=False, final_on_not_found=True,
        **options,
    )
