"""Decision integrity under interleaving (issue: gates).

Hypothesis interleaves gate arrivals, answers by another client, cursor moves and
decision keys against the real server and app, and checks that every reply the app
sent went to the gate shown at that keystroke, with the key's decision, and that no
gate was ever decided twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoody_tui.api import NotFound
from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.gates.ledger import Phase
from hoody_tui.refserver.runner import start_in_thread

from .helpers import live_app, until

KINDS = {"y": "once", "n": "reject"}

operations = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.integers(0, 2)),
        st.tuples(st.just("elsewhere"), st.integers(0, 9)),
        st.tuples(st.just("key"), st.sampled_from(["y", "n", "down", "up", "j", "k"])),
        st.tuples(st.just("wait"), st.sampled_from([0.0, 0.1, 0.4])),
    ),
    min_size=4,
    max_size=16,
)


@pytest.fixture(scope="module")
def shared_server():
    server = start_in_thread(scenario="none", seed=7)
    yield server
    server.stop()


async def run_example(server, ops) -> None:
    sessions = [server.call(server.state.create_session, f"S{i}")["id"] for i in range(3)]
    before = len(server.call(lambda: server.state.replies))
    app = live_app(server, gate_notices=False)
    presses: list[tuple[str, str]] = []  # (gate shown at the keystroke, decision)
    n = 0
    async with HoodyClient(server.url, server.workspace) as other, app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: all(s in app.store.sessions for s in sessions))
        await pilot.press("4")
        for op, arg in ops:
            if op == "ask":
                n += 1
                server.call(server.state.raise_permission, sessions[arg], "bash", [f"echo {n}"], [], {"command": f"echo {n}"})
            elif op == "elsewhere":
                pending = [p for p in await other.pending_permissions() if p.session_id in sessions]
                if pending:
                    target = pending[arg % len(pending)]
                    try:
                        await other.reply_permission(target.id, "reject", "elsewhere")
                    except Exception:
                        pass
            elif op == "wait":
                await pilot.pause(arg)
            else:
                shown = app.gates_view.detail.gate_id
                if arg in KINDS and shown is not None:
                    presses.append((shown, KINDS[arg]))
                await pilot.press(arg)
        # Let every reply finish (no gate still sending or being checked).
        await until(pilot, lambda: not any(
            (s := app.ledger.state(g)) is not None and s.phase in (Phase.SENDING, Phase.CHECKING)
            for g in list(app.ledger._states)
        ))
        await pilot.pause(0.2)
    log = server.call(lambda: list(server.state.replies))[before:]
    ours = [r for r in log if r["body"].get("message") != "elsewhere"]
    sent = Counter((r["requestID"], r["body"]["reply"]) for r in ours)
    # Every reply the app sent is a (gate shown, decision) pair of a keystroke...
    assert not (sent - Counter(presses)), f"reply to a gate that was not shown: {sent - Counter(presses)}"
    # ...the app never sent two decisions for one gate...
    assert all(count == 1 for count in Counter(r["requestID"] for r in ours).values())
    # ...and no gate was accepted twice by the server, whoever answered.
    accepted = Counter(r["requestID"] for r in log if r["status"] == 200)
    assert all(count == 1 for count in accepted.values())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_each_decision_reaches_the_gate_that_was_shown(shared_server, ops):
    asyncio.run(run_example(shared_server, ops))


def test_a_key_right_after_the_gate_changed_is_refused(shared_server):
    """The gate the user was reading is answered elsewhere; the next one slides under the
    cursor; a key pressed before it could be read does nothing."""

    async def scenario():
        server = shared_server
        sid = server.call(server.state.create_session, "Race")["id"]
        first = server.call(server.state.raise_permission, sid, "bash", ["echo a"], [], {"command": "echo a"})
        before = len(server.call(lambda: server.state.replies))
        # A long settle time, so "at once" below stays inside it even on a loaded machine.
        app = live_app(server, gate_notices=False, gate_settle=3.0)
        async with HoodyClient(server.url, server.workspace) as other, app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: first["id"] in app.store.permissions)
            await pilot.press("4")
            await until(pilot, lambda: app.gates_view.detail.gate_id is not None)
            # Bring every other pending gate of earlier examples out of the way.
            for p in await other.pending_permissions():
                if p.id != first["id"]:
                    try:
                        await other.reply_permission(p.id, "once", "elsewhere")
                    except NotFound:
                        pass
            await until(pilot, lambda: app.gates_view.detail.gate_id == first["id"])
            second = server.call(server.state.raise_permission, sid, "bash", ["echo b"], [], {"command": "echo b"})
            await until(pilot, lambda: second["id"] in app.store.permissions)
            # "once", not "reject": a reject would also reject the session's other requests.
            await other.reply_permission(first["id"], "once", "elsewhere")
            await until(pilot, lambda: app.gates_view.detail.gate_id == second["id"])
            await pilot.press("y")  # at once: the user never saw the second gate
            await pilot.pause(0.1)
            assert second["id"] in app.store.permissions and app.ledger.state(second["id"]) is None
            await until(pilot, app.gates_view.detail.settled)
            await pilot.press("y")  # now it has been on screen: accepted
            await until(pilot, lambda: second["id"] not in app.store.permissions)
        ours = [r for r in server.call(lambda: list(server.state.replies))[before:] if r["body"].get("message") != "elsewhere"]
        assert [(r["requestID"], r["body"]) for r in ours] == [(second["id"], {"reply": "once"})]

    asyncio.run(scenario())
