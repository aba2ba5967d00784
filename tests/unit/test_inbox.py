"""The inbox's own rules: row keys that tell sources apart, and one queue oldest first
across sources (by the server's time where it dates its gates, else when first seen)."""

from __future__ import annotations

from hoody_tui.api import PermissionRequest
from hoody_tui.api.events import PermissionAsked
from hoody_tui.core.inbox import Inbox
from hoody_tui.core.service import WorkspaceService

from ..fakes import FakeBackend


def inbox_of(*names: str, clock=None) -> Inbox:
    services = []
    for name in names:
        kwargs = {"clock": clock} if clock else {}
        services.append((name, WorkspaceService(FakeBackend(), **kwargs)))
    return Inbox(services)


def ask(inbox: Inbox, index: int, gate_id: str, created: int | None = None) -> None:
    request = {"id": gate_id, "sessionID": "s", "permission": "bash", "patterns": ["ls"]}
    if created is not None:
        request["time"] = {"created": created}
    inbox.sources[index].store.apply_many([PermissionAsked(type="permission.asked",
                                                           request=PermissionRequest.model_validate(request))])


def test_the_first_source_keeps_plain_ids_and_the_others_are_told_apart():
    inbox = inbox_of("work", "laptop", "box")
    work, laptop, box = inbox.sources
    assert inbox.key(work, "per_1") == "per_1"
    assert inbox.key(laptop, "per_1") == "1\x1fper_1" and inbox.key(box, "per_1") == "2\x1fper_1"
    for source in inbox:
        assert inbox.split(inbox.key(source, "per_1")) == (source, "per_1")
    assert inbox.split("9\x1fper_1") == (work, "9\x1fper_1")  # no such source: not silently another's
    assert not inbox_of("alone").several


def test_one_queue_oldest_first_across_sources():
    now = [1_700_000_000.0]
    inbox = inbox_of("a", "b", clock=lambda: now[0])
    ask(inbox, 0, "a1")  # seen at T
    now[0] += 1
    ask(inbox, 1, "b1")  # seen at T + 1 s
    ask(inbox, 1, "b0", created=1_699_999_999_500)  # dated by its server: asked at T - 0.5 s
    now[0] += 1
    ask(inbox, 0, "a2")
    assert [(s.name, g.id) for s, g in inbox.gates_in_order()] == [("b", "b0"), ("a", "a1"), ("b", "b1"), ("a", "a2")]
    assert inbox.gate_count() == 4
    assert inbox.gate("1\x1fb1")[1].id == "b1" and inbox.gate("b1") is None


def test_recent_times_move_in_steps_of_ten_seconds():
    """(ui/format) A column of recent times changes once in ten seconds, not every second."""
    from hoody_tui.ui.format import relative_time

    now = 1_700_000_000.0
    ago = [relative_time(int((now - s) * 1000), now) for s in (0, 9, 10, 19, 59, 60, 3600 * 3, 86400 * 2)]
    assert ago == ["now", "now", "10s", "10s", "50s", "1m", "3h", "2d"]
    assert relative_time(None, now) == "-"
