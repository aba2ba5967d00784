"""A stream opened after live events arrived: the history listed then goes in time order,
before and between what was shown, parts included (found against a real opencode server:
a turn already running when the dashboard connected showed its prompt last and lost the
text before the tool call)."""

from __future__ import annotations

import asyncio

from hoody_tui.api import parse_event
from hoody_tui.api.messages import MessageWithParts
from hoody_tui.ui.widgets.message_view import MessageBlock, PartView

from ..fakes import FakeBackend
from .test_backend_ui import make_app, until

SID = "s1"


def _message(mid: str, role: str, created: int, parts: list[dict]) -> dict:
    return {"info": {"id": mid, "sessionID": SID, "role": role, "time": {"created": created}},
            "parts": [{"sessionID": SID, "messageID": mid, **p} for p in parts]}


HISTORY = [
    _message("m1", "user", 1000, [{"id": "p1", "type": "text", "text": "run: echo hello"}]),
    _message("m2", "assistant", 2000, [{"id": "p2", "type": "step-start"},
                                       {"id": "p3", "type": "text", "text": "I'll run echo hello."},
                                       {"id": "p4", "type": "tool", "tool": "bash", "callID": "c1",
                                        "state": {"status": "completed", "input": {"command": "echo hello"},
                                                  "output": "hello"}}]),
    _message("m3", "assistant", 3000, [{"id": "p5", "type": "text", "text": "Final: hello"}]),
]


def ev(kind: str, **props):
    return parse_event({"type": kind, "properties": props})


async def test_history_listed_after_live_events_is_shown_in_time_order():
    backend = FakeBackend()
    backend.add_session(SID, "Echo")
    backend.events_queue = asyncio.Queue()
    backend.history[SID] = [MessageWithParts.model_validate(m) for m in HISTORY]
    app = make_app(backend)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: SID in app.store.sessions)
        # Live, before the stream is open: the tool part of m2 (its message not seen yet),
        # then m3, then m1's update (opencode re-sends the prompt's message late).
        for event in (
            ev("message.part.updated", part=HISTORY[1]["parts"][2]),
            ev("message.updated", info=HISTORY[2]["info"]),
            ev("message.part.updated", part=HISTORY[2]["parts"][0]),
            ev("message.updated", info=HISTORY[0]["info"]),
        ):
            backend.events_queue.put_nowait(event)
        await until(pilot, lambda: len(app.store.session_messages(SID)) == 3)
        app.open_stream(SID)
        await until(pilot, lambda: "p3" in {p for e in app.store.session_messages(SID) for p in e.parts})

        def shown() -> list[tuple[str, list[str]]]:
            blocks = [c for c in app.stream_view.message_list.children if isinstance(c, MessageBlock)]
            return [(b.message_id, [v.id or "" for v in b.children if isinstance(v, PartView)]) for b in blocks]

        await until(pilot, lambda: shown() == [("m1", ["part-p1"]), ("m2", ["part-p2", "part-p3", "part-p4"]),
                                                ("m3", ["part-p5"])])
