"""One queue over a reference server and a real opencode server (issue 19): gates of both,
each decided from the one dashboard, each reply reaching its own server."""

from __future__ import annotations

import pytest

from hoody_tui.backends.hoody import HoodyBackend, HoodyClient
from hoody_tui.backends.opencode import OpencodeBackend, OpencodeClient
from hoody_tui.core.inbox import Inbox
from hoody_tui.core.service import WorkspaceService
from hoody_tui.refserver.runner import start_in_thread
from hoody_tui.ui.app import AppOptions, HoodyApp

from .app_helpers import RecordingTransport, until

pytestmark = pytest.mark.opencode


async def test_a_refserver_and_opencode_feed_one_queue_and_each_reply_reaches_its_server(
        opencode_server, opencode_client):
    ref = start_in_thread(scenario="none", seed=31, speed=5.0)
    try:
        ref_sid = ref.call(ref.state.create_session, "On the reference server")["id"]
        ref_gate = ref.call(ref.state.raise_permission, ref_sid, "bash", ["make lint"], [], {"command": "make lint"})["id"]
        oc_sid = opencode_client.create_session("On opencode")["id"]
        opencode_client.prompt_async(oc_sid, "run: echo from-the-inbox")
        oc_gate = opencode_client.wait_permission(oc_sid)["id"]

        transport = RecordingTransport()
        opencode = OpencodeBackend(OpencodeClient(opencode_server.url, opencode_server.directory, None,
                                                  transport=transport, get_retries=3), label="laptop")
        hoody = HoodyBackend(HoodyClient(ref.url, ref.workspace), label="work")
        inbox = Inbox([("work", WorkspaceService(hoody, source="work")),
                       ("laptop", WorkspaceService(opencode, source="laptop"))])
        app = HoodyApp(AppOptions(bell=False, view_refresh=0, gate_notices=False), inbox=inbox)
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: inbox.gate(ref_gate) is not None and inbox.gate(f"1\x1f{oc_gate}") is not None)
            await pilot.press("4")
            view = app.gates_view
            for key in (ref_gate, f"1\x1f{oc_gate}"):
                await until(pilot, lambda k=key: k in view._keys)
                view.table.move_cursor(row=view._keys.index(key), animate=False)
                await until(pilot, lambda k=key: view.detail.gate_id == k and view.detail.settled())
                await pilot.press("y")
                await until(pilot, lambda k=key: inbox.gate(k) is None)
        opencode_client.wait_finished(oc_sid)
        assert any(t.startswith("Final: from-the-inbox") for t in opencode_client.texts(oc_sid))
        assert [(r["requestID"], r["body"]) for r in ref.call(lambda: list(ref.state.replies))] == [
            (ref_gate, {"reply": "once"})]
        assert [(s.path, s.body, s.status) for s in transport.replies()] == [
            (f"/permission/{oc_gate}/reply", {"reply": "once"}, 200)]
    finally:
        ref.stop()
