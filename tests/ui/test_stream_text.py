"""The stream's agent text (drawn line by line by MarkdownLines) in the app: a long text is
cut with a note and v reads all of it; a gate's o opens its tool call and scrolls to it in
a stream longer than the screen; a text being typed is followed, and stops being followed
when the user scrolls up."""

from __future__ import annotations

from textual.widgets import Collapsible

from hoody_tui.ui.messages import StoreChanged
from hoody_tui.ui.screens.full_output import FullOutputScreen
from hoody_tui.ui.views.gates import GatesView
from hoody_tui.ui.widgets.message_view import MAX_TEXT_CHARS, PartView
from hoody_tui.ui.widgets.text_part import TextPartView

from .scenario import ev, workspace_events
from .test_navigation import make_app
from .test_untrusted import settle as until


def _message(mid: str, created: int) -> object:
    return ev("message.updated", info={"id": mid, "sessionID": "s1", "role": "assistant", "time": {"created": created}})


def _text(mid: str, pid: str, text: str) -> object:
    return ev("message.part.updated", part={"id": pid, "sessionID": "s1", "messageID": mid, "type": "text", "text": text})


def _screen_text(app) -> str:
    return "\n".join(line.text for line in app.screen._compositor.render_strips())


async def test_a_long_answer_is_cut_with_a_note_and_v_reads_all_of_it() -> None:
    paragraph = "The failing **assertion** comes from the session cookie being written too late. "
    text = "\n\n".join(f"{i}. {paragraph * 3}" for i in range(200))
    assert len(text) > MAX_TEXT_CHARS * 2
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.store.focus("s1")
        app.post_message(StoreChanged(app.store.apply_many([*workspace_events(), _message("mx", 1700000090000),
                                                            _text("mx", "px", text)])))
        await pilot.pause()
        app.stream_view.show_session("s1")
        app.action_show("stream")
        await until(pilot, lambda: any(v.part.id == "px" for v in app.query(TextPartView)), "the long text shown")
        view = next(v for v in app.query(TextPartView) if v.part.id == "px")
        assert len(view.source) <= MAX_TEXT_CHARS
        assert "more characters not shown: press v to read all of it" in view._lines[-1].text
        await until(pilot, lambda: "press v to read all of it" in _screen_text(app), "the note on screen (followed)")
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, FullOutputScreen), "the whole text open")
        assert app.screen.text == text


async def test_o_on_a_gate_opens_its_call_and_scrolls_to_it_in_a_long_stream() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.store.focus("s1")
        later = [event for i in range(12) for event in (_message(f"mx{i}", 1700000030000 + i),
                                                        _text(f"mx{i}", f"px{i}", f"answer {i}\n\n- a point\n- another"))]
        app.post_message(StoreChanged(app.store.apply_many([*workspace_events(), *later])))
        await pilot.pause()
        app.post_message(GatesView.OpenCall("s1", "m2", "c1"))  # what o on a gate of this call posts
        await until(pilot, lambda: app.current_view == "stream" and app.stream_view.focus_call is None, "the call found")
        messages = app.stream_view.message_list
        call = messages.find_call("c1")
        assert isinstance(call, PartView)
        assert not call.query_one(Collapsible).collapsed
        assert not messages.follow  # it stays where the call is, not at the newest message
        await until(pilot, lambda: call.region.y >= messages.region.y and call.region.bottom <= messages.region.bottom,
                    "the call on screen")
        assert messages.max_scroll_y > 0 and messages.scroll_y < messages.max_scroll_y


async def test_a_text_being_typed_is_followed_until_the_user_scrolls_up() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.store.focus("s1")
        app.post_message(StoreChanged(app.store.apply_many([*workspace_events(), _message("mx", 1700000090000)])))
        await pilot.pause()
        app.stream_view.show_session("s1")
        app.action_show("stream")
        messages = app.stream_view.message_list
        words = ""
        for n in range(400):
            words += f"word{n} " + ("\n\n" if n % 30 == 29 else "")
            app.post_message(StoreChanged(app.store.apply_many([_text("mx", "px", words)])))
            if n % 20 == 0:
                await pilot.pause()
        await until(pilot, lambda: "word399" in _screen_text(app), "the last word typed on screen")
        assert messages.follow and messages.scroll_y == messages.max_scroll_y > 0
        await pilot.press("pageup")
        await until(pilot, lambda: not messages.follow, "follow off")
        top = messages.scroll_y
        for n in range(400, 440):
            words += f"word{n} "
            app.post_message(StoreChanged(app.store.apply_many([_text("mx", "px", words)])))
        await until(pilot, lambda: messages.max_scroll_y > top + 2, "more lines typed")
        await pilot.pause()
        assert messages.scroll_y == top and "word439" not in _screen_text(app)  # not followed
        await pilot.press("f")
        await until(pilot, lambda: "word439" in _screen_text(app), "followed again")


async def test_a_typed_answers_next_draw_comes_from_the_loop_not_a_textual_timer(monkeypatch) -> None:
    """While an answer is typed its text is drawn at most TEXT_REDRAW times a second; the
    draw that waits is a plain loop callback (the app's ``schedule``), not a Textual timer
    (a task and an event each, ten a second), and it draws the latest text."""
    from hoody_tui.ui.widgets import parts

    monkeypatch.setattr(parts, "monotonic", lambda: 1000.0)  # every update lands within TEXT_REDRAW
    timers: list[str | None] = []
    set_timer = PartView.set_timer
    monkeypatch.setattr(PartView, "set_timer",
                        lambda self, *a, **k: timers.append(k.get("name")) or set_timer(self, *a, **k))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        scheduled: list[object] = []
        schedule = app.schedule
        app.schedule = lambda wait, callback: scheduled.append(callback) or schedule(wait, callback)  # type: ignore[method-assign]
        app.store.focus("s1")
        app.post_message(StoreChanged(app.store.apply_many([*workspace_events(), _message("mx", 1700000090000),
                                                            _text("mx", "px", "first")])))
        await pilot.pause()
        app.stream_view.show_session("s1")
        app.action_show("stream")
        await until(pilot, lambda: "first" in _screen_text(app), "the first word on screen")
        for words in ("first second", "first second third"):
            app.post_message(StoreChanged(app.store.apply_many([_text("mx", "px", words)])))
            await pilot.pause()
        await until(pilot, lambda: "third" in _screen_text(app), "the latest text drawn")
        assert scheduled and "text redraw" not in timers
