"""The App over the Backend protocol: it offers only what the server can do, its keys can
be remapped from the config file, and it runs on any backend (here a fake one, through
the same service and pump as the real ones)."""

from __future__ import annotations

import asyncio

from textual.actions import parse

from hoody_tui.config import load_config_file
from hoody_tui.ui.app import AppOptions, HoodyApp
from hoody_tui.ui.help import help_rows
from hoody_tui.ui.keys import binding_ids, check_keymap
from hoody_tui.ui.screens.loop import LoopScreen

from ..fakes import FULL, MINIMAL, FakeBackend


def make_app(backend: FakeBackend, **options) -> HoodyApp:
    options.setdefault("bell", False)
    options.setdefault("view_refresh", 0)
    return HoodyApp(AppOptions(server_label="fake", **options), backend=backend)


def footer_text(app: HoodyApp) -> str:
    """What the footer offers: the shown, enabled bindings whose node's check_action allows them."""
    offered = []
    for active in app.screen.active_bindings.values():
        _, name, parameters = parse(active.binding.action)
        if active.binding.show and active.enabled and active.node.check_action(name, parameters) is not False:
            offered.append(f"{active.binding.key}:{active.binding.description}")
    return " ".join(offered)


async def until(pilot, condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await pilot.pause(0.02)


def _backend(capabilities) -> FakeBackend:
    backend = FakeBackend(capabilities=capabilities)
    backend.add_session("s1", "Fix the login bug")
    backend.ask("per_1", command="rm -rf build")
    return backend


async def test_a_server_without_jobs_or_loops_offers_neither():
    app = make_app(_backend(MINIMAL))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "s1" in app.sessions_view._keys)  # listed through the service's pump
        await pilot.press("3")
        await pilot.pause()
        assert app.current_view == "sessions"  # no Jobs view: the key is not offered
        sections = dict(help_rows(app))
        assert "Jobs view" not in sections
        sessions = {description for _, description, _ in sections["Sessions view"]}
        assert {"Open stream", "Abort"} <= sessions and not sessions & {"Loop", "CLI agent", "Todo", "Diff", "Summary"}
        assert "Sessions" in footer_text(app) and "Jobs" not in footer_text(app)
        await pilot.press("l", "g", "t")
        await pilot.pause()
        assert app.screen is app.screen_stack[0] and not isinstance(app.screen, LoopScreen)
        await pilot.press("4")
        await until(pilot, lambda: app.gates_view.detail.gate_id == "per_1")
        assert "Without a message the agent's turn stops" in app.gates_view.detail.plain


async def test_a_server_with_everything_offers_everything():
    app = make_app(_backend(FULL))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "s1" in app.sessions_view._keys)
        assert "Jobs view" in dict(help_rows(app))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LoopScreen))


async def test_a_keys_entry_remaps_a_view_key_and_the_help_shows_it(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[keys]\n"app.gates" = "f9"\n"gates.once" = "Y"\n')
    keys = load_config_file(config, required=True).keys
    assert keys == {"app.gates": "f9", "gates.once": "Y"} and not check_keymap(keys)
    app = make_app(_backend(FULL), keymap=keys, gate_settle=0.0)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: "s1" in app.sessions_view._keys)
        await pilot.press("4")
        await pilot.pause()
        assert app.current_view == "sessions"  # 4 is no longer the gates key
        await pilot.press("f9")
        await until(pilot, lambda: app.current_view == "gates")
        everywhere = {description: keys for keys, description, _ in dict(help_rows(app))["Everywhere"]}
        gates = {description: keys for keys, description, _ in dict(help_rows(app))["Gates view"]}
        assert everywhere["Gates"] == "f9" and gates["Allow once"] == "Y"
        assert "f9:Gates" in footer_text(app)
        await until(pilot, app.gates_view.detail.settled)
        await pilot.press("y")  # the old key decides nothing
        await pilot.pause()
        assert not app.service.backend.replies
        await pilot.press("Y")
        await until(pilot, lambda: bool(app.service.backend.replies))
    assert [(r.gate_id, r.kind) for r in app.service.backend.replies] == [("per_1", "once")]


def test_a_keys_table_with_unknown_ids_or_empty_keys_is_said_clearly():
    problems = check_keymap({"app.gatez": "f9", "gates.once": " ", "app.gates": "f9"})
    assert len(problems) == 2
    assert "'app.gatez' is no key binding id" in problems[0] and "app.gates" in problems[0]
    assert "'gates.once'" in problems[1] and "is not a key" in problems[1]


def test_every_binding_id_is_unique_to_its_action():
    ids = binding_ids()
    assert {"app.gates", "gates.once", "gates.always", "gates.reject", "gates.reject_message", "sessions.open",
            "stream.todo", "jobs.cancel", "answer.cancel"} <= set(ids)
