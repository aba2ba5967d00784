"""Untrusted content is shown as text on every screen (issue #7, part 3).

Session titles, agent names, model ids, message text and reasoning, tool names, tool
input (commands, file paths) and output, job fields, permission patterns, commands and
file names, questions and options, loop prompts, server errors and notifications all
carry hostile strings here: Rich/Textual markup (``[bold red]PWNED[/]``, a ``[link=]``
tag), an OSC 52 clipboard write, an OSC 8 hyperlink, ``ESC[2J``, SGR, a C1 CSI, a DCS
string, BEL, CR, a bidi override and zero-width characters.

Each screen is rendered exactly as the terminal would get it (the compositor's full
update, turned into the bytes Textual writes), and we check that

- no segment holds a control character (C0, DEL, C1) or an invisible bidi/zero-width
  character, and the bytes written hold only Textual's own SGR and cursor moves: no
  OSC (clipboard, hyperlink, title), no DCS, no BEL, no clear-screen;
- markup shows literally: wherever ``PWNED`` is on screen the ``]`` of its tag is right
  before it, no segment is styled bold red by it, and no segment carries a link;
- the hostile values really are on that screen (each test names what it must show).

The same goes for what is written to the terminal outside the screen (the window
title, desktop notifications) and for the details screens, which are fetched from the
reference server. The snapshots at the end pin a few of these screens as SVG, to see
that nothing is restyled. Deterministic: a fixed clock, the worker's Messages posted
by the test, no server except for the details screens, no sleeps (conditions are
awaited between frames).
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.content import Content
from textual.widgets import Collapsible, Static

from hoody_tui.api import SessionPermissions, parse_event
from hoody_tui.api.errors import FieldError, Invalid
from hoody_tui.core.publications import StoreUpdated
from hoody_tui.core.service import ActionResult
from hoody_tui.events.items import ConnectionState
from hoody_tui.launch import hoody_app
from hoody_tui.text import INVISIBLE, one_line
from hoody_tui.ui.app import HoodyApp
from hoody_tui.ui.messages import ActionDone, ActionFailed, ConnectionChanged, GatesArrived, StoreChanged, StreamNotice
from hoody_tui.ui.notify import desktop_notification, set_terminal_title
from hoody_tui.ui.screens.cli_agent import CliAgentScreen
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.details import DetailsScreen
from hoody_tui.ui.screens.help import HelpScreen
from hoody_tui.ui.screens.job_detail import JobDetailScreen
from hoody_tui.ui.screens.loop import LoopScreen
from hoody_tui.ui.screens.prompt import TextPromptScreen
from hoody_tui.ui.widgets.message_view import PartView

NOW = 1700000100.0
SIZE = (120, 36)

MARKUP = "[bold red]PWNED[/]"
LINK = "[link=http://evil]x[/link]"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"  # write "evil" to the clipboard
OSC8 = "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\"  # a hyperlink
CLEAR = "\x1b[2J"
SGR = "\x1b[31m"
C1_CSI = "\x9b31m"
DCS = "\x90qevil\x9c"
PIECES = [MARKUP, LINK, OSC52, OSC8, CLEAR, SGR, C1_CSI, DCS, "\x07", "\r", "\u202e", "\u200b\u200d\ufeff"]


def hostile(label: str, start: int = 0) -> str:
    """``label`` and every hostile piece, starting at ``start``: a field cut short on
    screen (a table cell, a title) still shows a different piece first."""
    start %= len(PIECES)
    return f"{label} " + "".join(PIECES[start:] + PIECES[:start])


H = hostile
JOB_A = "job_a" + CLEAR + MARKUP  # an id is the server's word too (quoted by "Cancel job …?")


def ev(kind: str, **props):
    return parse_event({"type": kind, "properties": props})


def hostile_events() -> list:
    diff = f"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-{H('OLD', 3)}\n+{H('NEW', 4)}\n"
    return [
        ev("session.created", info={"id": "s1", "title": H("T1"), "time": {"created": 1700000000000}}),
        ev("session.created", info={"id": "s2", "title": H("T2", 2), "parentID": "s1", "time": {"created": 1700000001000}}),
        ev("session.created", info={"id": "s3", "title": H("T3", 4), "time": {"created": 1700000002000}}),
        ev("session.status", sessionID="s1", status={"type": "busy"}),
        ev("session.status", sessionID="s2", status={"type": H("ST", 4)}),
        ev("session.status", sessionID="s3", status={"type": "retry", "attempt": 2, "message": H("RETRY")}),
        ev("message.updated", info={"id": "m1", "sessionID": "s1", "role": "user", "time": {"created": 1700000010000}}),
        ev("message.part.updated", part={"id": "p0", "sessionID": "s1", "messageID": "m1", "type": "text", "text": H("USER")}),
        ev("message.updated", info={"id": "m2", "sessionID": "s1", "role": "assistant", "agent": H("AGENT"),
                                    "providerID": "anthropic", "modelID": H("MODEL", 4), "cost": 0.0123,
                                    "tokens": {"input": 1200, "output": 300}, "time": {"created": 1700000020000}}),
        ev("message.part.updated", part={"id": "p1", "sessionID": "s1", "messageID": "m2", "type": "reasoning", "text": H("REASON")}),
        ev("message.part.updated", part={"id": "p2", "sessionID": "s1", "messageID": "m2", "type": "text",
                                         "text": f"{H('MD')}\n\n**bold** {H('MD2', 2)}"}),
        ev("message.part.updated", part={"id": "p3", "sessionID": "s1", "messageID": "m2", "type": "tool", "tool": H("TOOL"),
                                         "callID": "c1", "state": {
                                             "status": "completed", "title": H("TTL", 4),
                                             "input": {"command": H("CMD"), "filePath": H("FILE", 4)}, "output": H("OUT", 2),
                                             "time": {"start": 1700000021000, "end": 1700000023500}}}),
        ev("message.part.updated", part={"id": "p4", "sessionID": "s1", "messageID": "m2", "type": "tool", "tool": "bash",
                                         "callID": "c2", "state": {"status": "error" + CLEAR + "[b]x", "input": {"command": H("CMD2", 4)},
                                                                   "error": H("TERR")}}),
        ev("message.part.updated", part={"id": "p5", "sessionID": "s1", "messageID": "m2", "type": H("PTYPE")}),
        ev("permission.asked", id="per_1", sessionID="s1", permission="bash", patterns=[H("PAT")], always=[H("ALW", 4)],
           metadata={"command": H("CMD")}, tool={"messageID": "m2", "callID": H("CALL")}),
        ev("permission.asked", id="per_2", sessionID="s2", permission=H("PERM"), patterns=[H("PAT2", 4)], always=["*"],
           metadata={"filepath": H("FILE"), "url": H("URL", 4), "diff": diff}),
        ev("question.asked", id="que_1", sessionID="s3", questions=[{
            "question": H("Q"), "header": H("HDR", 4),
            "options": [{"label": H("OPT"), "description": H("DESC", 4)}, {"label": "sqlite"}]}]),
        ev("job.updated", job={"id": JOB_A, "sessionID": "s1", "tool": H("JTOOL"), "status": "running", "groupID": H("GRP"),
                               "progress": {"message": H("PROG"), "percent": 42}, "input": {"command": H("JIN")},
                               "output": H("JOUT", 4), "time": {"created": 1700000030000, "started": 1700000031000}}),
        ev("job.updated", job={"id": "job_b", "sessionID": "s3", "tool": "webfetch", "status": "failed", "error": H("JERR"),
                               "time": {"created": 1700000020000, "started": 1700000021000, "completed": 1700000041000},
                               "retries": {"max": 2, "count": 1}}),
        # A tool output too long for the stream (read page by page with v), in s3.
        ev("message.updated", info={"id": "m3", "sessionID": "s3", "role": "assistant", "time": {"created": 1700000050000}}),
        ev("message.part.updated", part={"id": "p6", "sessionID": "s3", "messageID": "m3", "type": "tool", "tool": H("LTOOL"),
                                         "callID": "c3", "state": {"status": "completed", "input": {"command": "cat log"},
                                                                   "output": "\n".join(H(f"LONG{i}", i) for i in range(400))}}),
        ev("loop.updated", sessionID="s3", loop={"prompt": H("LOOP"), "iters": 5, "iter": 2, "agent": H("LAGENT"),
                                                 "model": {"providerID": H("LPROV", 4), "modelID": "m"}, "launch_id": H("LAUNCH")}),
    ]


def hostile_rules(app: HoodyApp) -> None:
    """What the rules worker would have put in the gates pane: rules are the server's words too."""
    rules = SessionPermissions.model_validate({
        "agent": "build",
        "effective": [{"permission": "bash", "pattern": H("RULE"), "action": "ask"},
                      {"permission": H("RPERM", 4), "pattern": "*", "action": H("ACT", 2)}],
    })
    for sid in ("s1", "s2", "s3"):
        app.gates_view.rules[sid] = rules


def make_app(*, gate_notices: bool = False, theme: str = "textual-dark", **options) -> HoodyApp:
    # Port 9 (discard) is never served: nothing here talks to a server.
    return hoody_app("http://127.0.0.1:9", "demo", server_label="demo", theme=theme, bell=False,
                     gate_notices=gate_notices, view_refresh=0, start_worker=False, clock=lambda: NOW, **options)


async def loaded(pilot) -> None:
    app = pilot.app
    app.post_message(ConnectionChanged(ConnectionState("live")))
    hostile_rules(app)
    # As the pump does: the store applies the events, the service publishes what changed
    # (and which gates are new: the flash line and desktop notifications quote them).
    app.service.received(StoreUpdated(app.store.apply_many(hostile_events())))
    clock = app.status_bar.query_one("#sb-clock", Static)
    await settle(pilot, lambda: str(clock.content), "the status bar shows the (fixed) clock")


async def settle(pilot, condition: Callable[[], object], what: str) -> None:
    """Wait (between frames, never a blind sleep) until ``condition`` holds, then one more frame."""
    try:
        async with asyncio.timeout(10):
            while not condition():
                await pilot.pause(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting until {what}") from None
    await pilot.pause()


# --- what "inert" means on screen ------------------------------------------------------

FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(chr(c) for c in sorted(INVISIBLE)) + "]")
"""No control character (C0, DEL, C1) and no invisible bidi/zero-width character."""
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H")
"""What Textual itself writes while painting: SGR (colours) and cursor moves."""


def _markup_red(app: HoodyApp, color) -> bool:
    """The colour ``[red]`` markup gives: Textual's red, or the ANSI red (and bright red)
    of the app's terminal theme, which Rich markup's ``red`` is painted with."""
    if color is None:
        return False
    if color.name in ("red", "bright_red", "color(1)", "color(9)"):
        return True
    reds = {(255, 0, 0), tuple(app.ansi_theme.ansi_colors[1]), tuple(app.ansi_theme.ansi_colors[9])}
    return color.triplet is not None and tuple(color.triplet) in reds


def render(app: HoodyApp) -> tuple[list[str], list[str]]:
    """The screen as the terminal gets it: its text lines, and the problems found."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    problems: list[str] = []
    lines: list[str] = []
    for y, strips in enumerate(update.strips):
        segments = [segment for strip in strips for segment in strip]
        line = "".join(segment.text for segment in segments)
        lines.append(line)
        for segment in segments:
            text, style = segment.text, segment.style
            if FORBIDDEN.search(text):
                problems.append(f"line {y}: control or invisible character in {text!r}")
            if style is not None and style.link:
                problems.append(f"line {y}: a link to {style.link!r} on {text!r}")
            if style is not None and "PWNED" in text and style.bold and _markup_red(app, style.color):
                problems.append(f"line {y}: {text!r} styled bold red")
        for match in re.finditer("PWNED", line):
            if line[match.start() - 1: match.start()] != "]":
                problems.append(f"line {y}: markup was interpreted: {line.strip()!r}")
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", legacy_windows=False, safe_box=False)
    written = TEXTUAL_OWN.sub("", update.render_segments(console)).replace("\n", "")
    for match in FORBIDDEN.finditer(written):
        problems.append(f"written to the terminal: {written[max(0, match.start() - 30): match.end() + 30]!r}")
    return lines, problems


def assert_inert(app: HoodyApp, *must_show: str) -> str:
    lines, problems = render(app)
    screen = "\n".join(lines)
    assert not problems, "\n".join(problems[:20]) + "\n\n" + screen
    missing = [label for label in must_show if label not in screen]
    assert not missing, f"not on screen: {missing}\n\n{screen}"
    return screen


# --- every view and screen ---------------------------------------------------------------

Opener = Callable[[object], Awaitable[None]]


async def open_sessions(pilot) -> None:
    await settle(pilot, lambda: len(pilot.app.sessions_view._keys) == 3, "sessions listed")


async def open_sessions_s2_decided(pilot) -> None:
    """s2's gate decided: its row shows its (hostile) status instead of "needs you"."""
    await open_sessions(pilot)
    app = pilot.app
    app.post_message(StoreChanged(app.store.apply_many([
        ev("permission.replied", sessionID="s2", requestID="per_2", reply="once")])))
    await settle(pilot, lambda: app.sessions_view.table.get_row("s2")[0].plain.startswith("?"), "s2's status")


async def open_stream(pilot) -> None:
    app = pilot.app
    app.stream_view.show_session("s1")
    app.action_show("stream")
    await settle(pilot, lambda: len(app.query(PartView)) == 6, "parts shown")
    for part in app.query(PartView):
        part.open_all()
    await settle(pilot, lambda: all(not c.collapsed for c in app.query(Collapsible)), "parts expanded")
    messages = app.stream_view.message_list
    messages.scroll_end(animate=False)
    await settle(pilot, lambda: messages.scroll_y == messages.max_scroll_y > 0, "scrolled to the newest")


async def open_stream_top(pilot) -> None:
    await open_stream(pilot)
    pilot.app.stream_view.message_list.scroll_home(animate=False)
    await settle(pilot, lambda: pilot.app.stream_view.message_list.scroll_y == 0, "scrolled to the top")


async def open_jobs(pilot) -> None:
    pilot.app.action_show("jobs")
    await settle(pilot, lambda: len(pilot.app.jobs_view._keys) == 2, "jobs listed")


async def open_jobs_of_session(pilot) -> None:
    """3 from a session's stream: the jobs of that session, its title in the view's title."""
    app = pilot.app
    app.stream_view.show_session("s1")
    app.action_show("stream")
    await pilot.pause()
    await pilot.press("3")
    view = app.jobs_view
    # The page it asks the server for fails (no server here): then the view shows the store's.
    await settle(pilot, lambda: view.scope_session == "s1" and not view.loading and view._keys == [JOB_A], "jobs of s1")


async def open_gates_of_session(pilot) -> None:
    """4 from a session's stream: the gates of that session, its title in the view's title."""
    app = pilot.app
    app.stream_view.show_session("s1")
    app.action_show("stream")
    await pilot.pause()
    await pilot.press("4")
    await settle(pilot, lambda: app.gates_view.session_filter == "s1" and app.gates_view._keys == ["per_1"], "gates of s1")


async def open_filtered_sessions(pilot) -> None:
    """The filter box shows what was typed (or pasted) in the view's title."""
    app = pilot.app
    await pilot.press("slash", *"[b]t1[/b]")
    await settle(pilot, lambda: app.sessions_view.filter_text == "[b]t1[/b]", "filter applied")


async def open_job(pilot, job_id: str) -> None:
    await open_jobs(pilot)
    view = pilot.app.jobs_view
    view.table.move_cursor(row=view._keys.index(job_id))
    await pilot.press("enter")
    await settle(pilot, lambda: isinstance(pilot.app.screen, JobDetailScreen), "job detail open")


async def open_running_job(pilot) -> None:
    await open_job(pilot, JOB_A)


async def open_failed_job(pilot) -> None:
    await open_job(pilot, "job_b")


async def open_cancel_confirm(pilot) -> None:
    await open_running_job(pilot)
    await pilot.press("c")
    await settle(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "confirm open")


async def open_gate(pilot, gate_id: str) -> None:
    app = pilot.app
    await pilot.press("4")
    view = app.gates_view
    await settle(pilot, lambda: gate_id in view._keys, "gates listed")
    view.table.move_cursor(row=view._keys.index(gate_id))
    await settle(pilot, lambda: view.detail.gate_id == gate_id and view.detail.settled(), "gate shown")


async def open_bash_gate(pilot) -> None:
    await open_gate(pilot, "per_1")


async def open_bash_gate_end(pilot) -> None:
    await open_bash_gate(pilot)
    detail = pilot.app.gates_view.detail
    detail.scroll_end(animate=False)
    await settle(pilot, lambda: detail.scroll_y == detail.max_scroll_y > 0, "detail scrolled to the end")


async def open_edit_gate(pilot) -> None:
    await open_gate(pilot, "per_2")


async def open_question(pilot) -> None:
    await open_gate(pilot, "que_1")


async def open_always_confirm(pilot) -> None:
    await open_bash_gate(pilot)
    await pilot.press("a")
    await settle(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "always confirm open")


async def open_answer_prompt(pilot) -> None:
    from hoody_tui.ui.screens.answer import AnswerScreen

    await open_question(pilot)
    await settle(pilot, pilot.app.gates_view.detail.settled, "the question read")
    await pilot.press("enter")
    await settle(pilot, lambda: isinstance(pilot.app.screen, AnswerScreen), "answer panel open")


async def open_reject_prompt(pilot) -> None:
    await open_bash_gate(pilot)
    await pilot.press("N")
    await settle(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), "reject prompt open")


async def open_loop(pilot) -> None:
    app = pilot.app
    app.push_screen(LoopScreen(app.service, "s3"))
    await settle(pilot, lambda: isinstance(app.screen, LoopScreen), "loop panel open")


async def open_loop_refused(pilot) -> None:
    await open_loop(pilot)
    screen = pilot.app.screen
    error = Invalid(H("LERR"), status=400, field_errors=(FieldError("prompt", H("FERR")), FieldError("iters", H("IERR", 4))))
    screen.post_message(LoopScreen.Done(ActionResult.failed(error)))  # what its start worker posts
    await settle(pilot, lambda: "FERR" in "\n".join(render(pilot.app)[0]), "field errors shown")


async def open_cli_agent(pilot) -> None:
    app = pilot.app
    app.sessions_view.table.move_cursor(row=app.sessions_view._keys.index("s1"))
    await pilot.press("g")
    await settle(pilot, lambda: isinstance(app.screen, CliAgentScreen), "CLI-agent form open")


async def open_cli_agent_run(pilot) -> None:
    """What the run worker reports as it goes, each with the server's words in it."""
    await open_cli_agent(pilot)
    screen = pilot.app.screen  # what its run worker posts, as it goes
    screen.post_message(CliAgentScreen.Started(H("JOBID")))
    screen.post_message(CliAgentScreen.Progress(42.0, H("CPROG")))
    state = ConnectionState("reconnecting", attempt=2, delay=1.0, reason=H("WHY")).describe()
    screen.post_message(CliAgentScreen.Progress(None, "", stream_state=state))
    await settle(pilot, lambda: "CPROG" in "\n".join(render(pilot.app)[0]), "run shown")


async def open_cli_agent_done(pilot) -> None:
    await open_cli_agent_run(pilot)
    pilot.app.screen.post_message(CliAgentScreen.Progress(100.0, H("CSTATUS", 4), final=True, output=H("COUT")))
    await settle(pilot, lambda: "COUT" in "\n".join(render(pilot.app)[0]), "run done")


async def open_cli_agent_refused(pilot) -> None:
    await open_cli_agent(pilot)
    error = Invalid("refused", status=400, field_errors=(FieldError("agent", H("AERR")),))
    pilot.app.screen.post_message(CliAgentScreen.Failed(error))
    await settle(pilot, lambda: "AERR" in "\n".join(render(pilot.app)[0]), "refusal shown")


async def open_abort_confirm(pilot) -> None:
    app = pilot.app
    app.sessions_view.table.move_cursor(row=app.sessions_view._keys.index("s1"))
    await pilot.press("A")
    await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "abort confirm open")


async def open_help(pilot) -> None:
    await pilot.press("question_mark")
    await settle(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "help open")


async def open_palette(pilot) -> None:
    from textual.command import CommandPalette

    await pilot.press("ctrl+p")
    await settle(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "palette open")
    await pilot.press(*"open")
    await settle(pilot, lambda: "T3" in "\n".join(render(pilot.app)[0]), "sessions offered")


async def open_full_output(pilot) -> None:
    """v in a stream: the whole of a long tool output, a page at a time."""
    from hoody_tui.ui.screens.full_output import FullOutputScreen

    app = pilot.app
    app.stream_view.show_session("s3")
    app.action_show("stream")
    await settle(pilot, lambda: len(app.query(PartView)) == 1, "the long call shown")
    await pilot.press("v")
    await settle(pilot, lambda: isinstance(app.screen, FullOutputScreen), "the full output open")


async def open_connection_tooltip(pilot) -> None:
    """The status bar's tooltip says why the stream reconnects: often the server's words."""
    app = pilot.app
    app.post_message(ConnectionChanged(ConnectionState("reconnecting", attempt=3, delay=2.0, reason=H("WHY"))))
    await settle(pilot, lambda: app.status_bar.connection.phase == "reconnecting", "reconnecting shown")
    await pilot.hover("#sb-connection")
    await settle(pilot, lambda: "WHY" in "\n".join(render(app)[0]), "tooltip shown")


def flash_of(post: Callable[[HoodyApp], None], word: str) -> Opener:
    """One notice in the flash line (each replaces the one before, so one at a time)."""

    async def opener(pilot) -> None:
        post(pilot.app)
        await settle(pilot, lambda: word in "\n".join(render(pilot.app)[0]), f"{word} in the flash line")

    return opener


def _session_error(app: HoodyApp) -> None:
    app.post_message(StoreChanged(app.store.apply_many([
        ev("session.error", sessionID="s1", error={"name": "X", "data": {"message": H("SERR")}})])))


def _gate_arrived(app: HoodyApp) -> None:
    gate = app.store.permissions["per_1"]
    app.post_message(GatesArrived((gate,)))


SCREENS: dict[str, tuple[Opener, tuple[str, ...]]] = {
    "sessions": (open_sessions, ("T1", "T2", "T3", "needs you", "AGENT", "MODEL")),
    "sessions-status": (open_sessions_s2_decided, ("? ST",)),
    "stream": (open_stream, ("T1", "OUT", "CMD2", "TERR", "PTYPE")),
    "stream-top": (open_stream_top, ("T1", "USER", "AGENT", "REASON", "MD", "MD2", "TOOL", "CMD", "FILE")),
    "jobs": (open_jobs, ("JTOOL", "T1", "PROG", "JERR")),
    "jobs-of-session": (open_jobs_of_session, ("session: T1 [bold red]PWNED[/]", "JTOOL")),
    "gates-of-session": (open_gates_of_session, ("session: T1 [bold red]PWNED[/]", "CMD")),
    "sessions-filtered": (open_filtered_sessions, ("filter: [b]t1[/b]",)),
    "job-detail-running": (open_running_job, ("job_a", "JTOOL", "PROG", "GRP", "JIN", "JOUT")),
    "job-detail-failed": (open_failed_job, ("job_b", "JERR")),
    "cancel-job-confirm": (open_cancel_confirm, ("Cancel JTOOL", "job_a", "in “T1")),
    "gates-bash": (open_bash_gate, ("T1", "CMD", "PAT", "ALW", "AGENT")),
    "gates-bash-end": (open_bash_gate_end, ("RULE", "RPERM", "ACT", "CALL")),
    "gates-edit": (open_edit_gate, ("T2", "PERM", "FILE", "URL", "OLD", "NEW", "PAT2")),
    "gates-question": (open_question, ("T3", "Q", "HDR", "OPT", "DESC")),
    "always-confirm": (open_always_confirm, ("Always allow bash", "ALW")),
    "answer-prompt": (open_answer_prompt, ("Question from", "T3", "Q", "HDR", "OPT", "DESC")),
    "reject-prompt": (open_reject_prompt, ("Reject with a message",)),
    "loop": (open_loop, ("T3", "LOOP", "LAGENT", "LPROV", "LAUNCH")),
    "loop-refused": (open_loop_refused, ("FERR", "IERR")),
    "cli-agent": (open_cli_agent, ("CLI agent on", "T1")),
    "cli-agent-run": (open_cli_agent_run, ("JOBID", "CPROG", "WHY")),
    "cli-agent-done": (open_cli_agent_done, ("JOBID", "CSTATUS", "COUT")),
    "cli-agent-refused": (open_cli_agent_refused, ("AERR",)),
    "abort-confirm": (open_abort_confirm, ("Abort the current turn of", "T1")),
    "help": (open_help, ("Keys · Sessions view first", "Sessions view", "Open stream")),
    "palette": (open_palette, ("Open session: T1", "Open session: T3")),
    "full-output": (open_full_output, ("Output of", "LTOOL", "LONG0", "LONG1")),
    "connection-tooltip": (open_connection_tooltip, ("reconnecting in 2s", "WHY")),
    "flash-notice": (flash_of(lambda app: app.post_message(StreamNotice(H("NOTICE"))), "NOTICE"), ("NOTICE",)),
    "flash-failed": (flash_of(lambda app: app.post_message(ActionFailed("gate", H("FAILED", 4))), "FAILED"), ("FAILED",)),
    "flash-done": (flash_of(lambda app: app.post_message(ActionDone("abort", H("DONE", 2))), "DONE"), ("DONE",)),
    "flash-session-error": (flash_of(_session_error, "SERR"), ("Error in “T1", "SERR")),
    "flash-gate": (flash_of(_gate_arrived, "waiting in"), ("Permission waiting in “T1", "CMD")),
}


@pytest.mark.parametrize("screen", list(SCREENS))
async def test_hostile_text_is_inert_on_every_screen(screen):
    opener, must_show = SCREENS[screen]
    app = make_app(gate_notices=screen.startswith("flash"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        await opener(pilot)
        assert_inert(app, *must_show)


async def test_workspace_and_server_label_are_shown_literally():
    """The status bar quotes the configured workspace and server label: a "[" there is
    text (it used to stop the app at start with a MarkupError)."""
    app = hoody_app("http://127.0.0.1:9", "ws[/" + CLEAR, server_label="demo " + LINK, bell=False,
                    gate_notices=False, view_refresh=0, start_worker=False, clock=lambda: NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        assert_inert(app, "demo [link=http://evil]x[/link] / ws[/␛[2J")


async def test_the_checks_catch_a_leak():
    """The checks above have teeth: the same text put on screen as markup, and with its
    controls left raw, is reported."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        # What DataTable does with a str cell, and a Static with a str.
        app.sessions_view.query_one(".view-title", Static).update(Text.from_markup(f"{MARKUP} {LINK}"))
        await pilot.pause()
        _, problems = render(app)
        assert any("markup was interpreted" in p for p in problems)
        assert any("'PWNED' styled bold red" in p for p in problems)
        assert any("a link to 'http://evil'" in p for p in problems)
        app.sessions_view.query_one(".view-title", Static).update(Content(OSC52 + CLEAR + "\u202e"))
        await pilot.pause()
        _, problems = render(app)
        assert any("control or invisible character" in p for p in problems)
        assert any("written to the terminal" in p and "\\x1b]52" in p for p in problems)


# --- what is written to the terminal outside the screen ----------------------------------


class _Terminal:
    """Records what the app would write to the terminal (the driver's side)."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, data: str) -> None:
        self.written.append(data)

    def flush(self) -> None:
        pass


class _TerminalApp:
    """What notify.py needs of the app: not headless, and a driver to write to."""

    is_headless = False

    def __init__(self) -> None:
        self._driver = _Terminal()


hostile_text = st.lists(st.text(max_size=6) | st.sampled_from(
    ["\x1b", "\x07", "\x9b", "\x9c", "\x90", "\r", "\n", ";", "\\", *PIECES, *map(chr, INVISIBLE)]), max_size=12).map("".join)
INERT = "[^\x00-\x1f\x7f-\x9f" + "".join(chr(c) for c in sorted(INVISIBLE)) + "]*"


@settings(max_examples=200, deadline=None)
@given(title=hostile_text)
def test_terminal_title_holds_one_inert_osc_2(title):
    """The window title (OSC 2) carries the text as one inert line: nothing can end the
    sequence early and start another (a clipboard write, a hyperlink)."""
    app = _TerminalApp()
    assert set_terminal_title(app, title)
    (written,) = app._driver.written
    match = re.fullmatch(f"\x1b\\]2;({INERT})\x07", written)
    assert match, repr(written)
    assert match.group(1) == one_line(title)[:120]


@settings(max_examples=200, deadline=None)
@given(title=hostile_text, body=hostile_text)
def test_desktop_notification_holds_two_inert_oscs(title, body):
    """OSC 9 and OSC 777 carry the title and body as inert text without ';', so no
    field can be added (OSC 9;4 would drive a progress bar in some terminals)."""
    app = _TerminalApp()
    assert desktop_notification(app, title, body)
    (written,) = app._driver.written
    text = INERT.replace("]*", ";]*")
    match = re.fullmatch(f"\x1b\\]9;({text})\x07\x1b\\]777;notify;({text});({text})\x07", written)
    assert match, repr(written)
    assert match.group(2) == one_line(title)[:80].replace(";", ",")
    assert match.group(3) == one_line(body)[:200].replace(";", ",")


def test_the_app_notifies_the_desktop_with_inert_text(monkeypatch):
    """A gate raised in a hostile session: the desktop notification the app sends quotes
    the session title and the command, neutralised."""
    sent: list[tuple[str, str]] = []
    import hoody_tui.ui.alerts as alerts_module

    monkeypatch.setattr(alerts_module, "desktop_notification", lambda app, title, body: sent.append((title, body)))
    app = make_app(gate_notices=True, desktop_notifications=True)

    async def run() -> None:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await loaded(pilot)
            await settle(pilot, lambda: len(sent) == 3, "three desktop notifications")

    asyncio.run(run())
    for title, body in sent:
        terminal = _TerminalApp()
        desktop_notification(terminal, title, body)
        assert re.fullmatch(f"\x1b\\]9;{INERT}\x07\x1b\\]777;notify;{INERT}\x07", terminal._driver.written[0])
    assert any("T1" in title and "CMD" in body for title, body in sent)


# --- the details screens, fetched from the reference server ----------------------------


@pytest.fixture
def refserver():
    from hoody_tui.refserver.runner import start_in_thread

    server = start_in_thread(scenario="none", seed=1)
    yield server
    server.stop()


@pytest.mark.parametrize("where", ["sessions", "stream"])  # issue 13.11: the stream view has them too
@pytest.mark.parametrize("key,kind,must_show", [
    ("t", "Todo", ("TODO", "PRIO")),
    ("d", "Diff", ("DFILE",)),
    ("s", "Summary", ("T9",)),
])
async def test_details_screens_show_server_text_inert(refserver, key, kind, must_show, where):
    server = refserver
    session = server.call(server.state.create_session, H("T9"))
    sid = session["id"]

    def fill() -> None:
        rec = server.state.session(sid)
        server.state.set_todos(rec, [{"id": "t1", "content": H("TODO"), "status": H("TST", 4), "priority": H("PRIO", 2)}])
        server.state.add_diff(rec, None, {"file": H("DFILE"), "before": "", "after": H("AFTER"), "additions": 1, "deletions": 0})

    server.call(fill)
    app = hoody_app(server.url, server.workspace, server_label="demo", bell=False, gate_notices=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: sid in app.sessions_view._keys, "session listed")
        if where == "stream":
            app.open_stream(sid)
            await settle(pilot, lambda: app.current_view == "stream", "the stream open")
        await pilot.press(key)
        await settle(pilot, lambda: isinstance(app.screen, DetailsScreen), f"{kind} open")
        assert_inert(app, f"{kind} of", *must_show)


# --- snapshots -------------------------------------------------------------------------


def test_snapshot_sessions(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=loaded)


def test_snapshot_stream_tool_call(snap_compare):
    async def run_before(pilot):
        await loaded(pilot)
        await open_stream(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_stream_messages(snap_compare):
    async def run_before(pilot):
        await loaded(pilot)
        await open_stream_top(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("gate", ["per_1", "per_2", "que_1"])
def test_snapshot_gate(snap_compare, gate):
    async def run_before(pilot):
        await loaded(pilot)
        await open_gate(pilot, gate)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_job_detail(snap_compare):
    async def run_before(pilot):
        await loaded(pilot)
        await open_running_job(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_loop(snap_compare):
    async def run_before(pilot):
        await loaded(pilot)
        await open_loop(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_always_confirm(snap_compare):
    async def run_before(pilot):
        await loaded(pilot)
        await open_always_confirm(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_snapshot_flash(snap_compare):
    async def run_before(pilot):
        await loaded(pilot)
        # The app's own notify (every notice goes through it), with a timeout long enough
        # that the notice is still there when the snapshot is taken.
        pilot.app.notify(H("MESSAGE"), title=H("TITLE", 4), severity="error", timeout=600)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
