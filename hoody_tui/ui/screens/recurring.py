"""A session's recurring loops (a gateway's: many per session): each one's interval, runs
of its maximum, next run, cost of its cap and state, live; a checked form to create one;
pause or resume, run now, delete."""

from __future__ import annotations

import re
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from ...api.errors import ApiError
from ...api.loops import RecurringLoop, RecurringLoopSpec
from ...core.service import ActionResult, WorkspaceService
from ...store.changes import Changes
from ...text import neutralise, shorten
from .confirm import ConfirmScreen

__all__ = ["RecurringLoopsScreen", "check_recurring_form", "duration_ms", "loop_cells"]

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
COLUMNS = (("state", "State", 8), ("every", "Every", 7), ("runs", "Runs", 7), ("next", "Next run", 9),
           ("cost", "Cost", 16), ("prompt", "Prompt", 40))


def duration_ms(text: str) -> int | None:
    """``"90s"``, ``"30m"``, ``"2h"``, ``"1d"`` in milliseconds; ``None`` if it is not one."""
    match = _DURATION.match(text)
    return int(match.group(1)) * _UNIT_MS[match.group(2)] if match else None


def check_recurring_form(values: dict[str, str]) -> tuple[dict[str, str], RecurringLoopSpec | None]:
    """Field errors for the form (empty when valid), and the loop it describes."""
    errors: dict[str, str] = {}
    prompt = values.get("prompt", "").strip()
    if not prompt:
        errors["prompt"] = "Required"
    interval = values.get("interval", "").strip()
    every = duration_ms(interval)
    if every is None or every <= 0:
        errors["interval"] = "A number and a unit: 90s, 30m, 2h or 1d"
    max_runs: int | None = None
    if values.get("max_runs", "").strip():
        try:
            max_runs = int(values["max_runs"])
            if max_runs < 0:
                raise ValueError
        except ValueError:
            errors["max_runs"] = "A whole number (0 or empty: no limit)"
    max_cost: float | None = None
    if values.get("max_cost", "").strip():
        try:
            max_cost = float(values["max_cost"].strip().lstrip("$"))
            if max_cost < 0:
                raise ValueError
        except ValueError:
            errors["max_cost"] = "An amount in USD, e.g. 2.50 (empty: no cap)"
    max_wall: int | None = None
    if values.get("max_wall", "").strip():
        max_wall = duration_ms(values["max_wall"])
        if max_wall is None:
            errors["max_wall"] = "A duration, e.g. 2h (empty: no cap)"
    if errors:
        return errors, None
    spec = RecurringLoopSpec(prompt=prompt, interval=interval.replace(" ", ""), max_runs=max_runs or None,
                             stop_when=values.get("stop_when", "").strip() or None, max_cost_usd=max_cost or None,
                             max_wall_ms=max_wall or None)
    return {}, spec


def _when(epoch_ms: int | None, now: float) -> str:
    if not epoch_ms:
        return "-"
    delta = epoch_ms / 1000 - now
    if abs(delta) < 60:
        return "now" if delta <= 0 else f"in {int(delta)}s"
    if delta > 0:
        return f"in {int(delta // 60)}m" if delta < 3600 else time.strftime("%H:%M", time.localtime(epoch_ms / 1000))
    return time.strftime("%H:%M", time.localtime(epoch_ms / 1000))


def loop_cells(loop: RecurringLoop, now: float) -> tuple[str, ...]:
    state = loop.state
    upcoming = _when(loop.next_run_at, now) if state == "active" else "-"
    return (state, neutralise(loop.interval or "-"), loop.runs_label, upcoming, loop.cost_label,
            neutralise(shorten(loop.prompt, 200)))


class RecurringLoopsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="loops.close", tooltip="Close the form, or the loops panel"),
        Binding("n", "new", "New", id="loops.new", tooltip="Create a loop on this session"),
        Binding("p", "pause", "Pause/resume", id="loops.pause", tooltip="Pause the selected loop, or resume it"),
        Binding("r", "run_now", "Run now", id="loops.run_now", tooltip="Run the selected loop now (asks first)"),
        Binding("x,delete", "delete", "Delete", id="loops.delete", tooltip="Delete the selected loop (asks first)"),
        Binding("home", "first", "First", id="loops.first", tooltip="The first loop", show=False),
        Binding("end", "last", "Last", id="loops.last", tooltip="The last loop", show=False),
        Binding("ctrl+s", "create", "Create", id="loops.create", tooltip="Create the loop in the form", priority=True),
    ]

    class Done(Message):
        def __init__(self, result: ActionResult[Any]) -> None:
            super().__init__()
            self.result = result

    def __init__(self, service: WorkspaceService, session_id: str, *, clock: Any = time.time) -> None:
        super().__init__(id="recurring-screen")
        self.service = service
        self.store = service.store
        self.session_id = session_id
        self.clock = clock
        self.sending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="recurring-body"):
            yield Static("", id="recurring-title")
            yield DataTable(id="recurring-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="recurring-empty")
            with Vertical(id="recurring-form"):
                for name, label, placeholder in (
                    ("prompt", "Prompt", "what to send each run"),
                    ("interval", "Every", "30m"),
                    ("max_runs", "Max runs", "empty: no limit"),
                    ("stop_when", "Stop when", "text in a reply that ends it"),
                    ("max_cost", "Max cost $", "empty: no cap"),
                    ("max_wall", "Max time", "e.g. 2h; empty: no cap"),
                ):
                    with Horizontal(classes="form-row"):
                        yield Label(label)
                        yield Input(placeholder=placeholder, id=f"recurring-{name}")
                        yield Static("", id=f"recurring-{name}-error", classes="field-error")
            yield Static("", id="recurring-result")
            yield Static("n new · p pause/resume · r run now · x delete · Esc close", id="recurring-keys")

    def on_mount(self) -> None:
        session = self.store.sessions.get(self.session_id)
        title = neutralise(shorten((session.title if session else None) or self.session_id, 60))
        where = f" · {neutralise(self.service.source)}" if self.service.source else ""  # among several servers
        self.query_one("#recurring-title", Static).update(Text(f"Loops of “{title}”{where}", style="bold"))
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#recurring-form").display = False
        self.show_loops()
        table.focus()
        self.refresh_loops()
        self.set_interval(1.0, self.show_loops, name="recurring clock")  # "in 42s" counts down

    @work(group="recurring-refresh", exclusive=True)
    async def refresh_loops(self) -> None:
        result = await self.service.refresh_recurring(self.session_id)  # the store publishes the change
        if not result.ok:
            self.post_message(self.Done(result))

    def apply_changes(self, changes: Changes) -> None:
        """The app shows this screen what the store changed."""
        if self.session_id in changes.loops or changes.resynced:
            self.show_loops()

    def loops(self) -> list[RecurringLoop]:
        return sorted(self.store.recurring.get(self.session_id, {}).values(), key=lambda loop: loop.id)

    def show_loops(self) -> None:
        table = self.query_one(DataTable)
        loops = self.loops()
        now = self.clock()
        keys = {str(row.value) for row in table.rows}
        wanted = {loop.id for loop in loops}
        for key in keys - wanted:
            table.remove_row(key)
        for loop in loops:
            cells = loop_cells(loop, now)
            if loop.id in keys:
                for (column, _, _), value in zip(COLUMNS, cells, strict=True):
                    if table.get_cell(loop.id, column) != value:
                        table.update_cell(loop.id, column, value)
            else:
                table.add_row(*cells, key=loop.id)
        empty = self.query_one("#recurring-empty", Static)
        empty.display = not loops
        empty.update("No loops on this session. n creates one.")

    def selected(self) -> RecurringLoop | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.store.recurring.get(self.session_id, {}).get(str(key))

    # --- keys ------------------------------------------------------------------------------

    def _form_open(self) -> bool:
        return bool(self.query_one("#recurring-form").display)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "create":
            return self._form_open()
        if action in ("pause", "run_now", "delete", "new", "first", "last"):
            return not self._form_open()  # typing in the form is typing, not a key
        return True

    def action_close(self) -> None:
        if self._form_open():
            self.query_one("#recurring-form").display = False
            self.query_one(DataTable).focus()
            self.refresh_bindings()
        else:
            self.dismiss(None)

    def action_new(self) -> None:
        self.query_one("#recurring-form").display = True
        self.query_one("#recurring-prompt", Input).focus()
        self.refresh_bindings()

    def action_first(self) -> None:
        self.query_one(DataTable).move_cursor(row=0)

    def action_last(self) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def _values(self) -> dict[str, str]:
        return {name: self.query_one(f"#recurring-{name}", Input).value
                for name in ("prompt", "interval", "max_runs", "stop_when", "max_cost", "max_wall")}

    def show_errors(self, errors: dict[str, str]) -> None:
        for name in ("prompt", "interval", "max_runs", "stop_when", "max_cost", "max_wall"):
            label = self.query_one(f"#recurring-{name}-error", Static)
            label.update(Text(neutralise(errors.get(name, ""))))  # may be the server's words
            label.set_class(name in errors, "-invalid")

    def action_create(self) -> None:
        if self.sending:
            return
        errors, spec = check_recurring_form(self._values())
        self.show_errors(errors)
        if spec is None:
            self.app.bell()
            return
        self.sending = True
        self.create(spec)

    @work(group="recurring-action")
    async def create(self, spec: RecurringLoopSpec) -> None:
        result = await self.service.create_recurring(self.session_id, spec)
        if result.ok:
            self.query_one("#recurring-form").display = False
            for input_ in self.query("#recurring-form Input").results(Input):
                input_.value = ""
            self.query_one(DataTable).focus()
            self.refresh_bindings()
        self.post_message(self.Done(result))

    def action_pause(self) -> None:
        loop = self.selected()
        if loop is None or self.sending:
            return
        if loop.state not in ("active", "paused"):
            self.say(f"This loop has {loop.state}: it cannot be paused or resumed.")
            return
        self.sending = True
        self.pause(loop.id, loop.state == "active")

    @work(group="recurring-action")
    async def pause(self, loop_id: str, paused: bool) -> None:
        self.post_message(self.Done(await self.service.pause_recurring(self.session_id, loop_id, paused)))

    def action_run_now(self) -> None:
        loop = self.selected()
        if loop is None or self.sending:
            return

        def confirmed(yes: bool | None) -> None:
            if yes and loop is not None:
                self.sending = True
                self.run_now(loop.id)

        self.app.push_screen(ConfirmScreen(f"Run “{shorten(loop.prompt, 50)}” now?"), confirmed)

    @work(group="recurring-action")
    async def run_now(self, loop_id: str) -> None:
        self.post_message(self.Done(await self.service.run_recurring_now(self.session_id, loop_id)))

    def action_delete(self) -> None:
        loop = self.selected()
        if loop is None or self.sending:
            return

        def confirmed(yes: bool | None) -> None:
            if yes and loop is not None:
                self.sending = True
                self.delete(loop.id)

        self.app.push_screen(ConfirmScreen(f"Delete the loop “{shorten(loop.prompt, 50)}”? It will not run again."),
                             confirmed)

    @work(group="recurring-action")
    async def delete(self, loop_id: str) -> None:
        self.post_message(self.Done(await self.service.delete_recurring(self.session_id, loop_id)))

    def on_recurring_loops_screen_done(self, message: Done) -> None:
        message.stop()
        self.sending = False
        result = message.result
        error = result.error
        if not result.ok and isinstance(error, ApiError) and error.field_errors:
            names = {"max_cost_usd": "max_cost", "max_wall_ms": "max_wall"}
            self.show_errors({names.get(f.field, f.field): f.message for f in error.field_errors})
            self.say("The server refused the loop: see the fields.")
        else:
            self.say(result.text)
        self.show_loops()

    def say(self, text: str) -> None:
        self.query_one("#recurring-result", Static).update(Text(neutralise(text)))
