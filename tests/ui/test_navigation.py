"""Keyboard navigation and the views, driven with the same Messages the worker posts."""

from __future__ import annotations

from textual.widgets import ContentSwitcher, Static

from hoody_tui.core.publications import StoreUpdated
from hoody_tui.events.items import ConnectionState
from hoody_tui.launch import hoody_app
from hoody_tui.ui.app import HoodyApp
from hoody_tui.ui.help import help_rows
from hoody_tui.ui.messages import ConnectionChanged, StoreChanged
from hoody_tui.ui.screens.confirm import ConfirmScreen
from hoody_tui.ui.screens.help import HelpScreen
from hoody_tui.ui.views.sessions import SessionsView
from hoody_tui.ui.widgets.status_bar import StatusBar

from .scenario import NOW, workspace_events


def make_app() -> HoodyApp:
    # Port 9 (discard) is never served: any HTTP the app tries fails fast and is reported.
    # Views update at once (no pacing), so a test sees each update after one pause.
    return hoody_app("http://127.0.0.1:9", "demo", server_label="demo", view_refresh=0, start_worker=False,
                     clock=lambda: NOW)


async def load(app: HoodyApp, pilot) -> None:
    app.post_message(StoreChanged(app.store.apply_many(workspace_events())))
    await pilot.pause()


async def decide_every_gate(app: HoodyApp, pilot) -> None:
    """The scenario's three gates decided elsewhere: the sessions go back to creation order."""
    from .scenario import ev

    app.post_message(StoreChanged(app.store.apply_many([
        ev("permission.replied", sessionID="s1", requestID="per_1", reply="once"),
        ev("permission.replied", sessionID="s2", requestID="per_2", reply="once"),
        ev("question.replied", sessionID="s3", requestID="que_1", answers=[["Postgres"]]),
    ])))
    await pilot.pause()


async def test_sessions_table_shows_tree_status_and_badges():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        view = app.sessions_view
        # Every session waits on a gate, all seen at the same moment: newest first (s2 is a
        # fork of s1, listed under it), each "needs you" with its gates and wait.
        assert view._keys == ["s3", "s1", "s2"]
        table = view.table
        row = table.get_row("s1")
        assert row[0].plain == "⚑ needs you" and row[2] == "build" and row[7].plain.startswith("⚑ 1 ")
        title = table.get_row("s2")[1].plain
        assert title.startswith("└ Refactor auth [bold r")  # markup shown as text
        assert title.endswith("…") and len(title) <= (view.column_width("title") or 0)  # cut to its column, and says so
        bar = app.query_one(StatusBar)
        assert (bar.busy, bar.jobs, bar.gates) == (2, 1, 3)
        await decide_every_gate(app, pilot)
        assert view._keys == ["s3", "s1", "s2"]  # newest first again
        assert table.get_row("s1")[0].plain == "● busy" and table.get_row("s1")[7].plain == ""
        assert table.get_row("s3")[0].plain == "↻ retry" and table.get_row("s3")[8] == "2/5"


async def test_number_keys_switch_views_and_escape_goes_back():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        switcher = app.query_one(ContentSwitcher)
        for key, name in (("3", "jobs"), ("4", "gates"), ("2", "stream"), ("1", "sessions")):
            await pilot.press(key)
            assert switcher.current == name
        await pilot.press("3", "escape")
        assert switcher.current == "sessions"


async def test_enter_opens_the_stream_of_the_selected_session():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.query_one(ContentSwitcher).current == "stream"
        assert app.stream_view.session_id == "s1"
        blocks = app.stream_view.message_list._blocks
        assert list(blocks) == ["m1", "m2"]
        # Agent text is inert: the escape sequences show as symbols, not control codes.
        rendered = " ".join(str(w.render()) for w in app.stream_view.query(Static))
        assert "\x1b" not in rendered


async def test_gates_from_a_stream_are_filtered_to_that_session_and_escape_clears():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await pilot.press("enter")  # s3 (newest, first row): the session with the question
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause()
        assert app.gates_view.session_filter == "s3"
        assert app.gates_view._keys == ["que_1"]
        await pilot.press("escape")
        assert app.gates_view.session_filter is None
        assert app.gates_view._keys == ["per_1", "que_1", "per_2"]


async def test_filter_narrows_rows_and_escape_clears():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"docs")
        await pilot.pause()
        assert app.sessions_view._keys == ["s3"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.sessions_view._keys == ["s3", "s1", "s2"]


async def test_help_lists_our_keys_with_their_descriptions():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        headings = [str(h.render()) for h in app.screen.query(".help-heading")]
        # Grouped by view, in words (no widget class names), the view on screen first.
        assert headings == ["Sessions view", "Stream view", "Jobs view", "Gates view", "Everywhere"]
        rows = dict(help_rows(app))
        sessions = {description: keys for keys, description, _ in rows["Sessions view"]}
        assert sessions["Open stream"] == "Enter" and sessions["Abort"] == "A" and sessions["Filter"] == "/"
        assert sessions["First / last row"] == "Home End"
        everywhere = {description: keys for keys, description, _ in rows["Everywhere"]}
        assert everywhere["Quit"] == "q" and everywhere["Help"] == "? f1" and everywhere["Gates"] == "4"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_abort_asks_first_and_no_does_nothing():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert not app.workers._workers or all(w.name != "abort_session" for w in app.workers._workers)


async def test_connection_state_reaches_the_status_bar():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.post_message(ConnectionChanged(ConnectionState("reconnecting", attempt=2, delay=4.0, reason="dropped")))
        await pilot.pause()
        label = app.query_one("#sb-connection", Static)
        assert "reconnecting in 4s" in str(label.render())
        assert label.has_class("-reconnecting")
        app.post_message(ConnectionChanged(ConnectionState("unauthorized", reason="Missing or invalid bearer token")))
        await pilot.pause()
        assert "token rejected" in str(label.render()) and label.has_class("-down")


async def test_updates_by_diff_keep_the_cursor_on_the_same_session():
    from .scenario import ev

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await decide_every_gate(app, pilot)
        await pilot.press("down", "down")
        assert app.sessions_view.selected_key == "s2"
        # A new session arrives and sorts to the top: the cursor stays on s2.
        app.post_message(StoreChanged(app.store.apply_many([
            ev("session.created", info={"id": "s4", "title": "New", "time": {"created": 1700000090000, "updated": 1700000095000}}),
        ])))
        await pilot.pause()
        assert app.sessions_view._keys[0] == "s4"
        assert app.sessions_view.selected_key == "s2"


async def test_an_unexpected_error_leaves_a_readable_line_and_a_redacted_report(tmp_path, monkeypatch, capfd):
    import pytest

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = hoody_app("http://127.0.0.1:9", "demo", token="tok_secret_value_1234", start_worker=False, clock=lambda: NOW)
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=(80, 24)) as pilot:
            def fail() -> None:
                token = "tok_secret_value_1234"  # a local, as a traceback with locals would show it
                raise ZeroDivisionError(f"division by zero (token {token})")

            app.call_later(fail)
            await pilot.pause()
    err = capfd.readouterr().err
    assert "hoody-tui stopped on an unexpected error (ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err and "tok_secret_value_1234" not in err
    (report,) = (tmp_path / "hoody-tui" / "crashes").glob("crash-*.txt")
    text = report.read_text()
    assert "ZeroDivisionError" in text and "<redacted>" in text and "tok_secret_value_1234" not in text


async def test_updates_keep_flowing_while_a_panel_is_open_on_top():
    """Regression: the main screen's widgets are found while a modal or a job detail is shown."""
    from .scenario import ev

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        for keys in (["l"], ["3", "enter"]):
            await pilot.press(*keys)
            await pilot.pause()
            app.post_message(StoreChanged(app.store.apply_many([
                ev("permission.asked", id=f"per_{keys[0]}", sessionID="s1", permission="bash"),
            ])))
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        assert app.query_one(StatusBar).gates == 5


async def test_follow_turns_off_when_scrolling_up_and_counts_new_parts():
    from .scenario import ev

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        events = workspace_events()
        # Enough messages in s1 that the stream overflows the screen. (The store keeps a
        # session's whole history once its stream is open; here no server lists it.)
        app.store.focus("s1")
        for i in range(12):
            events.append(ev("message.updated", info={"id": f"mx{i}", "sessionID": "s1", "role": "assistant",
                                                       "time": {"created": 1700000030000 + i}}))
            events.append(ev("message.part.updated", part={"id": f"px{i}", "sessionID": "s1", "messageID": f"mx{i}",
                                                           "type": "text", "text": f"line {i}"}))
        app.post_message(StoreChanged(app.store.apply_many(events)))
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause(0.2)
        messages = app.stream_view.message_list
        assert messages.follow and messages.max_scroll_y > 0
        messages.scroll_home(animate=False)
        await pilot.pause(0.2)
        assert not messages.follow
        new = [ev("message.updated", info={"id": "late", "sessionID": "s1", "role": "assistant", "time": {"created": 1700000099000}}),
               ev("message.part.updated", part={"id": "pl", "sessionID": "s1", "messageID": "late", "type": "text", "text": "new!"})]
        app.post_message(StoreChanged(app.store.apply_many(new)))
        await pilot.pause(0.2)
        label = app.stream_view.query_one("#stream-new")
        assert messages.unseen == 2 and label.display and "+2 new" in str(label.render())
        await pilot.press("f")
        await pilot.pause(0.2)
        assert messages.follow and messages.unseen == 0 and not label.display
        assert messages.scroll_y == messages.max_scroll_y


async def test_a_flood_of_updates_is_shown_in_few_paced_view_updates():
    """Paced (the default): many StoreChanged messages in a burst become a few view
    updates, and the last state is what the table shows."""
    from hoody_tui.api.events import parse_event

    app = hoody_app("http://127.0.0.1:9", "demo", server_label="demo", start_worker=False, clock=lambda: NOW)
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        before = app.pacer.flushes
        for n in range(200):
            event = parse_event({"type": "session.updated", "properties": {"info": {
                "id": "s1", "title": f"Renamed {n}", "time": {"created": 1, "updated": 2}}}})
            app.post_message(StoreChanged(app.store.apply_many([event])))
        table = app.sessions_view.table
        for _ in range(500):  # wait for the paced update that shows the last title
            await pilot.pause(0.01)
            if table.get_row("s1")[1].plain.endswith("Renamed 199"):
                break
        assert table.get_row("s1")[1].plain.endswith("Renamed 199")
        assert 1 <= app.pacer.flushes - before < 200


async def test_the_pumps_changes_reach_the_views_on_the_loops_next_turn_without_a_message():
    """What the service publishes for the pump goes to the pacer directly (no StoreChanged
    through the app's queue for every read) and is shown after the publisher's step."""
    from .scenario import ev

    app = make_app()
    posted: list[object] = []
    post = app.post_message
    app.post_message = lambda message: posted.append(message) or post(message)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        table = app.sessions_view.table
        flushes = app.pacer.flushes
        app.service.received(StoreUpdated(app.store.apply_many([ev("session.updated", info={
            "id": "s1", "title": "Renamed by the pump", "time": {"created": 1, "updated": 2}})])))
        assert app.pacer.flushes == flushes  # not inside the publisher's step
        assert not table.get_row("s1")[1].plain.endswith("Renamed by the pump")
        await pilot.pause()
        assert app.pacer.flushes == flushes + 1
        assert table.get_row("s1")[1].plain.endswith("Renamed by the pump")
        assert not [m for m in posted if isinstance(m, StoreChanged)][1:]  # only load()'s own


async def test_skipping_tls_verification_shows_a_marker_and_only_then():
    for insecure in (True, False):
        app = hoody_app("https://example.invalid", "demo", server_label="demo", insecure=insecure, view_refresh=0,
                        start_worker=False, clock=lambda: NOW)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            markers = app.status_bar.query("#sb-insecure")
            assert bool(markers) is insecure
            if insecure:
                assert "TLS OFF" in str(markers.first().render())


async def test_relative_times_move_on_with_the_clock_without_events():
    """'Active 5s' must not freeze on a row whose session sends nothing: the view on
    screen rewrites its painted rows' times every second."""
    now = [NOW]
    app = hoody_app("http://127.0.0.1:9", "demo", server_label="demo", view_refresh=0, start_worker=False,
                    clock=lambda: now[0])
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        table = app.sessions_view.table
        column = [key for key, _, _ in SessionsView.COLUMNS].index("active")
        before = {key: str(table.get_row(key)[column]) for key in app.sessions_view._keys}
        now[0] += 3 * 3600  # three hours pass, no event arrives
        for _ in range(300):  # the once-a-second tick rewrites the painted rows
            await pilot.pause(0.01)
            after = {key: str(table.get_row(key)[column]) for key in app.sessions_view._keys}
            if after != before:
                break
        changed = [key for key in before if after[key] != before[key] and before[key] not in ("", "-")]
        assert changed, (before, after)
        assert all(after[key].endswith("h") for key in changed)


async def test_an_empty_workspace_still_has_its_title_and_says_it_is_empty():
    app = make_app()  # no server answers, no event ever arrives
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        title = app.sessions_view.query_one(".view-title")
        assert str(title.render()).strip() == "Sessions 0"
        assert app.sessions_view.query_one(".view-empty").display


async def test_a_new_gate_is_announced_once_and_counted_in_the_title():
    from .scenario import ev

    app = make_app()

    def arrive(*events) -> None:  # as the pump does: the store applies, the service publishes
        app.service.received(StoreUpdated(app.store.apply_many(events)))

    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        pending = len(app.store.permissions) + len(app.store.questions)
        assert app.alerts.title == f"({pending}) hoody-tui"

        def waiting() -> list[str]:
            return [n.text for n in app.notices if "waiting in" in n.text]

        before = len(waiting())
        asked = ev("permission.asked", id="per_new", sessionID="s1", permission="bash", patterns=["make"])
        arrive(asked)
        await pilot.pause()
        assert len(waiting()) == before + 1
        assert waiting()[-1] == "Permission waiting in “Fix the login bug” · press 4 · bash: make"
        assert app.alerts.title == f"({pending + 1}) hoody-tui"
        # The same gate again (an update): no second announcement.
        arrive(asked)
        await pilot.pause()
        assert len(waiting()) == before + 1
        # Answered elsewhere (said so), then asked again: a new announcement.
        arrive(ev("permission.replied", requestID="per_new", sessionID="s1", reply="once"))
        await pilot.pause()
        assert app.alerts.title == f"({pending}) hoody-tui"
        assert app.notices[-1].text.startswith("Decided elsewhere: allowed once in “")
        arrive(asked)
        await pilot.pause()
        assert len(waiting()) == before + 2
        # On the gates view the person sees it arrive: no notice (the bell and the count still
        # tell), and the arrival notice that was up is taken down.
        assert app.flash.current is not None and app.flash.current.topic == "gate-arrived"
        await pilot.press("4")
        assert app.flash.current is None
        arrive(ev("permission.asked", id="per_seen", sessionID="s1", permission="bash", patterns=["ls"]))
        await pilot.pause()
        assert len(waiting()) == before + 2 and app.alerts.title == f"({pending + 2}) hoody-tui"


async def test_updates_that_cannot_move_rows_do_not_list_the_order_again():
    from .scenario import ev

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await decide_every_gate(app, pilot)
        view = app.sessions_view
        listed = []
        original = view.row_order
        view.row_order = lambda: listed.append(1) or original()  # type: ignore[method-assign]
        keys = list(view._keys)
        # A status and a rename: rows stay where they are, the cells follow.
        app.post_message(StoreChanged(app.store.apply_many([
            ev("session.status", sessionID="s1", status={"type": "busy"}),
            ev("session.updated", info={"id": "s1", "title": "Renamed in place", "time": {"created": 1700000000000}}),
        ])))
        await pilot.pause()
        assert listed == [] and view._keys == keys
        assert view.table.get_row("s1")[1].plain.endswith("Renamed in place")
        # A new session can move rows: the order is listed again and it appears.
        app.post_message(StoreChanged(app.store.apply_many([
            ev("session.created", info={"id": "s9", "title": "Brand new", "time": {"created": 1700000099000}}),
        ])))
        await pilot.pause()
        assert listed == [1] and "s9" in view._keys and view._keys[0] == "s9"


async def test_home_and_end_go_to_the_first_and_last_row_in_every_list():
    """Issue 13.9: DataTable's Home/End scroll sideways in a row-cursor table."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        for key, view in (("1", app.sessions_view), ("4", app.gates_view)):
            await pilot.press(key)
            await pilot.pause()
            assert len(view._keys) >= 3
            await pilot.press("end")
            await pilot.pause()
            assert view.table.cursor_row == len(view._keys) - 1
            await pilot.press("home")
            await pilot.pause()
            assert view.table.cursor_row == 0


def test_an_edit_call_in_the_stream_shows_its_file_and_diff_not_raw_json():
    """Issue 13.13: `o` on an edit gate opened a tool call whose input was raw JSON."""
    from hoody_tui.api.messages import parse_part
    from hoody_tui.ui.widgets.message_view import _tool_body

    part = parse_part({"type": "tool", "id": "prt_1", "callID": "c9", "tool": "edit", "state": {
        "status": "running", "input": {"filePath": "src/auth.py", "oldString": "return redirect(next)\n",
                                       "newString": "return redirect(safe(next))\n"}}})
    body = _tool_body(part)
    assert body.plain.splitlines()[:4] == ["file  src/auth.py", "diff", "--- a/src/auth.py", "+++ b/src/auth.py"]
    assert "-return redirect(next)" in body.plain and "+return redirect(safe(next))" in body.plain
    assert "oldString" not in body.plain
    styles = {body.plain[span.start:span.end].strip(): str(span.style) for span in body.spans}
    assert styles["+return redirect(safe(next))"] == "green" and styles["-return redirect(next)"] == "red"


def test_light_theme_text_colours_are_readable_on_its_background():
    """Issue 13.7: the light theme's green and orange were hard to read on light grey."""
    from textual.color import Color

    from hoody_tui.ui.theme import _contrast, theme_color

    app = make_app()
    app.theme = "textual-light"
    background = Color.parse(app.theme_variables["background"])
    for name in ("success", "warning", "accent"):
        assert _contrast(Color.parse(theme_color(app, name)), background) >= 4.5, name
    app.theme = "textual-dark"
    assert theme_color(app, "success") == Color.parse(app.theme_variables["success"]).hex6  # dark: unchanged


async def test_a_theme_colour_is_resolved_once_per_theme(monkeypatch):
    """Rows ask for their colours every time they are built: resolved once, again after
    the theme changes (its variables are new then), and the same as resolving afresh."""
    from hoody_tui.ui import theme as theme_module

    resolved: list[str] = []
    resolve = theme_module._resolve

    def counting(app, variables, name):
        resolved.append(name)
        return resolve(app, variables, name)

    monkeypatch.setattr(theme_module, "_resolve", counting)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        app.theme = "textual-dark"
        await pilot.pause()
        resolved.clear()
        dark = theme_module.theme_color(app, "warning")
        assert theme_module.theme_color(app, "warning") == dark and resolved == ["warning"]
        app.theme = "textual-light"
        await pilot.pause()
        resolved.clear()
        light = theme_module.theme_color(app, "warning")
        assert resolved == ["warning"] and light != dark
        assert light == resolve(app, app.theme_variables, "warning")


async def test_the_cursor_stays_on_its_row_when_rows_arrive_above_it():
    """Issue 13.9: live rows added above the cursor (a new session, newest first; a job
    that sorts before it) must not move the selection to another row."""
    from .scenario import ev

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await decide_every_gate(app, pilot)
        view = app.sessions_view
        view.table.move_cursor(row=view._keys.index("s1"))
        await pilot.pause()
        assert view.selected_key == "s1"
        for n in range(3):
            app.post_message(StoreChanged(app.store.apply_many([ev(
                "session.created", info={"id": f"new{n}", "title": f"New {n}", "time": {"created": NOW * 1000 + n}})])))
            await pilot.pause()
            assert view._keys[0] == f"new{n}" and view.selected_key == "s1"
        await pilot.press("3")
        await pilot.press("o")  # jobs by status: a running job sorts first
        jobs = app.jobs_view
        await pilot.pause()
        assert jobs.sort == "status" and len(jobs._keys) >= 2
        jobs.table.move_cursor(row=len(jobs._keys) - 1)
        await pilot.pause()
        kept = jobs.selected_key
        app.post_message(StoreChanged(app.store.apply_many([ev(
            "job.updated", job={"id": "job_new", "sessionID": "s1", "status": "running", "tool": "bash",
                                "time": {"created": NOW * 1000}})])))
        await pilot.pause()
        assert "job_new" in jobs._keys and jobs._keys.index("job_new") < jobs._keys.index(kept)
        assert jobs.selected_key == kept


async def test_at_80_columns_the_header_keeps_the_gate_count_and_the_footer_help_and_quit():
    """Issue 13.4/13.5: at 80x24 the header dropped the gate count ('g 00:11:26') and the
    footer was cut ('3 J▏^p palette'): the clock and the workspace id give way first, and
    ? and q are always in the footer, in every view."""
    from hoody_tui.launch import hoody_app

    app = hoody_app("http://127.0.0.1:9", "252d0c88c9b77b975f2d5a3d", server_label="demo", view_refresh=0,
                    start_worker=False, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await load(app, pilot)
        app.post_message(ConnectionChanged(ConnectionState("live")))
        await pilot.pause()
        bar = app.status_bar
        shown = [label for label in bar.query(Static) if label.display]
        assert sum(label.region.width for label in shown) <= 80
        gates = bar.query_one("#sb-gates", Static)
        assert gates.display and str(gates.render()) == "gates 3" and gates.region.right <= 80
        assert not bar.query_one("#sb-clock", Static).display
        for key in "1234":
            await pilot.press(key)
            await pilot.pause()
            keys = [footer_key.description for footer_key in app.screen.query("FooterKey") if footer_key.display]
            assert "Help" in keys and "Quit" in keys, (key, keys)
            assert sum(k.region.width for k in app.screen.query("FooterKey")) <= 80
            if key == "4":  # every deciding key of the gates view, before any app key
                assert keys[:4] == ["Allow once", "Always", "Reject", "Reject+msg"], keys


async def test_an_aborted_turn_is_said_as_aborted_not_as_an_error():
    """Issue 13.14: the turn the user aborted came back as 'Error … The operation was aborted'."""
    from .scenario import ev

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        app.post_message(StoreChanged(app.store.apply_many([ev(
            "session.error", sessionID="s1", error={"name": "MessageAbortedError",
                                                    "data": {"message": "The operation was aborted."}})])))
        await pilot.pause()
        last = app.notices[-1]
        assert last.text == "Aborted: the turn of “Fix the login bug” was stopped." and last.severity == "information"


async def test_a_job_that_has_ended_cannot_be_marked_for_a_bulk_cancel():
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        jobs = app.jobs_view
        jobs.table.move_cursor(row=jobs._keys.index("job_2"))  # failed
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        assert not jobs.marked and "already ended" in app.notices[-1].text


async def test_a_session_waiting_on_a_gate_comes_first_and_says_how_long():
    """A gate asked in an old session lifts its whole tree to the top, "needs you" with
    how long it has waited; decided, the session goes back to its place."""
    from .scenario import ev

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await decide_every_gate(app, pilot)
        view = app.sessions_view
        assert view._keys == ["s3", "s1", "s2"]
        app.post_message(StoreChanged(app.store.apply_many([
            ev("permission.asked", id="per_late", sessionID="s2", permission="bash", patterns=["make"],
               time={"created": (NOW - 125) * 1000}),
        ])))
        await pilot.pause()
        assert view._keys == ["s1", "s2", "s3"]  # s2 (a fork of s1) waits: its tree goes first
        row = view.table.get_row("s2")
        assert row[0].plain == "⚑ needs you" and row[7].plain == "⚑ 1 2m"
        app.post_message(StoreChanged(app.store.apply_many([
            ev("permission.replied", sessionID="s2", requestID="per_late", reply="reject"),
        ])))
        await pilot.pause()
        assert view._keys == ["s3", "s1", "s2"]


async def test_gates_that_arrive_while_the_app_closes_are_let_go_without_an_error():
    """A listing can land after the screens are gone (the app quitting): its gates are not
    announced, and nothing raises (before: "No screens on stack", a crash report at exit)."""
    from hoody_tui.ui.messages import GatesArrived

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        await pilot.press("4")  # watching the gates
        await pilot.pause()
        gates = tuple(app.store.gates_in_order())
        assert gates and app.current_view == "gates"
    assert not app.screen_stack
    app.on_gates_arrived(GatesArrived(gates, listed=True))  # as the message pump would, late


async def test_a_keys_hold_begins_where_the_driver_reads_it_and_collection_waits_with_it():
    """The driver hands a key to the loop a turn later (its input thread schedules the
    delivery): the hold starts when the driver reads it, so a screen update due in that
    turn waits too; with the collector tuned (as the CLI runs) collection waits as well."""
    import gc

    from textual import events

    app = hoody_app("http://127.0.0.1:9", "demo", server_label="demo", view_refresh=0, start_worker=False,
                    clock=lambda: NOW, tune_gc=True)
    was, thresholds = gc.isenabled(), gc.get_threshold()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await load(app, pilot)
            priority = app.inbox.priority
            assert priority.held() == 0 and gc.isenabled()
            app._driver.send_message(events.Key("down", None))  # as the input thread does
            assert priority.held() > 0 and not gc.isenabled()
            for _ in range(200):
                await pilot.pause(0.01)
                if priority.held() == 0 and gc.isenabled():
                    break
            assert gc.isenabled()  # on again once the hold is over
    finally:
        gc.unfreeze()  # (tune_gc froze this test process's objects and set its thresholds)
        gc.set_threshold(*thresholds)
        if was:
            gc.enable()


async def test_a_key_steps_the_event_intake_aside_from_the_moment_it_is_queued():
    """The hold that lets a key's way to its effect go first starts when the key is queued
    (as the terminal driver posts it), before the app reaches it behind other messages."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await load(app, pilot)
        priority = app.inbox.priority
        holds = priority.holds
        assert priority.held() == 0
        app.post_message(events.Key("down", None))  # queued, not handled yet
        assert priority.held() > 0 and priority.holds == holds + 1
        app.post_message(StoreChanged(app.store.apply_many([])))  # other messages hold nothing
        await pilot.pause()
