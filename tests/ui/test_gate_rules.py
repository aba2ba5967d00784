"""The gate pane's session rules arrive after the gate is shown: they redraw their own
section, and lay the screen out again only when they take another number of lines."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from hoody_tui.api.permissions import PermissionRequest, PermissionRule, SessionPermissions
from hoody_tui.core.backend import Capabilities
from hoody_tui.gates.risk import Risk
from hoody_tui.ui.widgets.gate_detail import GateDetail

COLORS = {"error": "red", "accent": "blue", "warning": "yellow", "success": "green"}
REQUEST = PermissionRequest(id="per_1", sessionID="ses_1", permission="bash", patterns=["npm test"],
                            metadata={"command": "npm test"}, always=["npm *"])


class Pane(App[None]):
    def compose(self) -> ComposeResult:
        yield GateDetail(id="gate-detail")


def show(pane: GateDetail, rules: SessionPermissions | None, *, rulesets: bool = True) -> None:
    pane.show_permission(REQUEST, session_title="Fix the tests", agent="build", risk=Risk(), rules=rules,
                         rules_error=None, state=None, colors=COLORS, dark=True,
                         capabilities=Capabilities(rulesets=rulesets))


async def test_rules_of_the_same_height_redraw_their_section_without_a_layout() -> None:
    app = Pane()
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(GateDetail)
        show(pane, None)
        await pilot.pause()
        section, body = pane.query_one("#gate-rules", Static), pane.query_one("#gate-body", Static)
        assert "loading…" in pane.plain and section.display
        body_before = body.render()

        show(pane, SessionPermissions())  # "(no rules: every call asks)": one line, as "loading…"
        assert not section._layout_required  # redrawn in place
        assert body.render() is body_before  # the body is not built again
        await pilot.pause()
        assert "(no rules: every call asks)" in pane.plain and "loading…" not in pane.plain

        show(pane, SessionPermissions(effective=[PermissionRule(permission="bash", pattern="npm *", action="allow"),
                                                 PermissionRule(permission="bash", pattern="rm *", action="deny")]))
        assert section._layout_required  # two lines and a verdict: the pane grows
        await pilot.pause()
        words = pane.plain
        assert "allow bash npm *" in words and "deny  bash rm *" in words
        # Same order as on screen: the body, the rules, then the keys.
        assert words.index("always") < words.index("session rules") < words.index("y/Enter allow once")


async def test_without_rulesets_there_is_no_rules_section() -> None:
    app = Pane()
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(GateDetail)
        show(pane, None, rulesets=False)
        await pilot.pause()
        assert not pane.query_one("#gate-rules", Static).display
        assert "session rules" not in pane.plain and "y/Enter allow once" in pane.plain
