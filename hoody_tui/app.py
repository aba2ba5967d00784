"""The Textual app. For now a live view of the workspace event stream: the
connection state on top and every event as one line."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer, RichLog, Static

from .api import HoodyClient, HoodyError
from .api.events import Event, UnknownEvent
from .events.items import ConnectionState, Malformed, Resync, StreamItem
from .paths import stylesheet
from .text import shorten
from .ui.messages import ConnectionChanged, StreamBatch

if TYPE_CHECKING:
    from .cli import Target

__all__ = ["HoodyApp", "describe_event"]

_MAX_LOG_LINES = 2000
_BATCH_MAX = 500


def describe_event(event: Event) -> str:
    """One line for an event: its type and the ids and text that matter."""
    fields = []
    for name in ("session_id", "request_id", "message_id", "part_id", "branch"):
        value = getattr(event, name, None)
        if value:
            fields.append(str(value))
    for name in ("info", "request", "question", "job", "part"):
        value = getattr(event, name, None)
        if value is not None:
            fields.append(getattr(value, "id", "") or "")
            for detail in ("title", "permission", "status", "tool"):
                text = getattr(value, detail, None)
                if isinstance(text, str) and text:
                    fields.append(text)
    status = getattr(event, "status", None)
    if status is not None and hasattr(status, "type"):
        fields.append(status.type)
    if isinstance(event, UnknownEvent):
        fields.append("(unknown type, ignored)")
    return shorten(f"{event.type:<24} " + " ".join(f for f in fields if f), 200)


class StatusBar(Static):
    """Server, workspace and connection state."""

    state: reactive[ConnectionState] = reactive(ConnectionState("connecting"))

    def __init__(self, target: Target) -> None:
        super().__init__(id="status-bar")
        self._target = target

    def render(self) -> Text:
        text = Text()
        text.append(" hoody-tui ", style="bold")
        text.append(f" {self._target.workspace} ")
        phase = self.state.phase
        style = {"live": "bold green", "connecting": "yellow", "reconnecting": "yellow"}.get(phase, "bold red")
        text.append(f" ● {self.state.describe()}", style=style)
        return text


class HoodyApp(App[int]):
    CSS_PATH = [stylesheet("app.tcss")]
    TITLE = "hoody-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave hoody-tui"),
    ]

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.client = HoodyClient(
            target.url, target.workspace, target.token,
            api_prefix=target.api_prefix, verify=not target.insecure,
        )

    def compose(self) -> ComposeResult:
        yield StatusBar(self.target)
        yield RichLog(id="event-log", max_lines=_MAX_LOG_LINES, wrap=False, markup=False, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.consume_events()

    async def on_unmount(self) -> None:
        await self.client.aclose()

    @work(exclusive=True, group="events")
    async def consume_events(self) -> None:
        """The one event worker: read the stream, post what arrived in batches."""
        queue: asyncio.Queue[StreamItem] = asyncio.Queue()

        async def pump() -> None:
            async for item in self.client.events():
                await queue.put(item)

        reader = asyncio.create_task(pump())
        try:
            while not reader.done() or not queue.empty():
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                batch = [getter.result()]
                while not queue.empty() and len(batch) < _BATCH_MAX:
                    batch.append(queue.get_nowait())
                for item in batch:
                    if isinstance(item, ConnectionState):
                        self.post_message(ConnectionChanged(item))
                self.post_message(StreamBatch(batch))
            if reader.done() and reader.exception() is not None:
                raise reader.exception()  # type: ignore[misc]
        except HoodyError as exc:
            self.post_message(ConnectionChanged(ConnectionState("failed", reason=str(exc))))
        finally:
            reader.cancel()

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.query_one(StatusBar).state = message.state

    def on_stream_batch(self, message: StreamBatch) -> None:
        log = self.query_one(RichLog)
        for item in message.items:
            if isinstance(item, Event):
                log.write(Text(describe_event(item)))
            elif isinstance(item, Malformed):
                log.write(Text(f"skipped a malformed event: {shorten(item.reason, 150)}", style="italic"))
            elif isinstance(item, Resync):
                log.write(Text("connected; state will be listed again" if item.reconnect else "connected", style="dim"))
            elif isinstance(item, ConnectionState) and item.phase != "live":
                log.write(Text(f"connection: {item.describe()}", style="dim"))



