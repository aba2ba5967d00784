"""The workspace service and its gate desk, driven by a fake Backend: no Textual, no network.

Each test feeds the service what its pump would (``received``) and calls its commands as
a face would; what it publishes is recorded in order, and so is what the backend was
asked to send and what the audit log holds.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hoody_tui.api import parse_event
from hoody_tui.api.errors import Conflict, NotFound, RequestTimeout, ServerError
from hoody_tui.core.backend import Backend
from hoody_tui.core.publications import GatesArrived, Notice, Publication, StoreUpdated
from hoody_tui.core.service import WorkspaceService
from hoody_tui.gates.audit import AuditLog
from hoody_tui.gates.ledger import Decision, Phase

from ..fakes import MINIMAL, FakeBackend


def ev(kind: str, **props):
    return parse_event({"type": kind, "properties": props})


class Harness:
    def __init__(self, tmp_path: Path, backend: FakeBackend | None = None) -> None:
        self.backend = backend or FakeBackend()
        self.backend.add_session("s1", "Fix the login bug")
        self.published: list[Publication] = []
        self.audit_path = tmp_path / "audit.jsonl"
        self.service = WorkspaceService(self.backend, audit=AuditLog(self.audit_path), publish=self.published.append,
                                        clock=lambda: 1000.0)

    async def resync(self) -> None:
        """What the pump does on a (re)connect: list, and replace the store's view."""
        self.service.received(StoreUpdated(self.service.store.resync(await self.service._snapshot())))

    def events(self, *events) -> None:
        self.service.received(StoreUpdated(self.service.store.apply_many(events)))

    def audit(self) -> list[dict]:
        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines()]

    def notices(self) -> list[str]:
        return [p.text for p in self.published if isinstance(p, Notice)]


def run(coro):
    return asyncio.run(coro)


def test_the_fake_is_a_backend():
    assert isinstance(FakeBackend(), Backend)


def test_allow_once_is_sent_once_the_gate_leaves_and_the_audit_says_ok(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1", command="rm -rf build")
        await h.resync()
        result = await h.service.decide(Decision("per_1", "once"))
        assert result.ok and result.text == "Allowed once"
        assert [(r.gate_id, r.kind) for r in h.backend.replies] == [("per_1", "once")]
        assert "per_1" not in h.service.store.permissions
        (line,) = h.audit()
        assert (line["gate"], line["decision"], line["outcome"], line["via"], line["subject"]) == (
            "per_1", "once", "ok", "tui", "rm -rf build")
        assert line["server"] == "fake://server" and line["workspace"] == "ws"

    run(scenario())


def test_two_decisions_on_one_gate_at_once_send_one(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        first, second = await asyncio.gather(h.service.decide(Decision("per_1", "once")),
                                             h.service.decide(Decision("per_1", "reject")))
        assert first.ok and second.status == "busy"
        assert len(h.backend.replies) == 1

    run(scenario())


def test_a_404_means_decided_elsewhere_dropped_said_and_audited(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        h.backend.answer_elsewhere("per_1")  # we have not heard yet
        result = await h.service.decide(Decision("per_1", "reject", "no"))
        assert result.status == "elsewhere" and "Decided elsewhere" in result.text
        assert "per_1" not in h.service.store.permissions
        assert [line["outcome"] for line in h.audit()] == ["decided elsewhere"]
        assert h.audit()[0]["message"] == "no"

    run(scenario())


@pytest.mark.parametrize("code", ["no_pending_gate", "stale_gate", "gate_already_answered"])
def test_a_gone_409_is_decided_elsewhere_too(tmp_path, code):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        h.backend.fail["per_1"] = Conflict("gone", status=409, code=code, context="replying")
        result = await h.service.decide(Decision("per_1", "once"))
        assert result.status == "elsewhere" and "per_1" not in h.service.store.permissions

    run(scenario())


def test_a_refused_reply_unlocks_the_gate_and_says_why(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        h.backend.fail["per_1"] = Conflict("a turn is running", status=409, code="turn_in_flight", context="replying")
        result = await h.service.decide(Decision("per_1", "once"))
        assert result.status == "refused" and "a turn is running" in result.text
        assert "per_1" in h.service.store.permissions and h.service.ledger.state("per_1") is None
        assert [line["outcome"] for line in h.audit()] == ["refused: a turn is running"]
        again = await h.service.decide(Decision("per_1", "once"))  # the person may decide again
        assert again.ok and [r.accepted for r in h.backend.replies] == [False, True]

    run(scenario())


@pytest.mark.parametrize("arrived", [False, True])
def test_a_reply_of_unknown_fate_is_checked_and_settled(tmp_path, arrived):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        error = RequestTimeout("timed out waiting for the reply", context="replying")
        error.arrived = arrived  # the fake applies the reply although its answer is lost
        h.backend.fail["per_1"] = error
        result = await h.service.decide(Decision("per_1", "once"))
        assert result.status == "checking" and h.service.ledger.state("per_1").phase is Phase.CHECKING
        assert (await h.service.decide(Decision("per_1", "once"))).status == "busy"  # still locked
        await h.service.desk._check
        if arrived:
            assert "per_1" not in h.service.store.permissions
            assert h.notices()[-1] == "The reply had arrived after all."
            assert h.audit()[-1]["outcome"] == "ok (confirmed by a listing)"
        else:
            assert h.service.ledger.state("per_1").phase is Phase.FAILED
            assert "still pending" in h.notices()[-1]
            assert h.audit()[-1]["outcome"] == "not delivered (still pending)"
        assert h.audit()[0]["outcome"] == "checking: timed out waiting for the reply"
        assert len(list(h.backend.replies)) == 1  # never re-sent by itself

    run(scenario())


def test_a_stale_listing_taken_mid_reply_does_not_bring_a_decided_gate_back(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        stale = await h.backend.snapshot()  # taken before the reply landed
        assert (await h.service.decide(Decision("per_1", "once"))).ok
        h.backend.snapshot = lambda: _done(stale)  # type: ignore[method-assign]
        await h.resync()
        assert "per_1" not in h.service.store.permissions

    run(scenario())


async def _done(value):
    return value


def test_a_gate_answered_elsewhere_is_said_with_the_decision_and_audited(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1", command="make deploy")
        await h.resync()
        h.events(ev("permission.replied", sessionID="s1", requestID="per_1", reply="reject"))
        assert h.notices()[-1] == "Decided elsewhere: rejected in “Fix the login bug”: bash: make deploy"
        (line,) = h.audit()
        assert (line["decision"], line["outcome"], line["via"]) == ("reject", "decided elsewhere", "elsewhere")

    run(scenario())


def test_our_own_replied_event_is_not_called_elsewhere(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        await h.service.decide(Decision("per_1", "once"))
        h.events(ev("permission.replied", sessionID="s1", requestID="per_1", reply="once"))
        assert not [n for n in h.notices() if "elsewhere" in n]
        assert [line["outcome"] for line in h.audit()] == ["ok"]

    run(scenario())


def test_gates_gone_from_a_listing_are_said_once(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        for n in range(3):
            h.backend.ask(f"per_{n}")
        await h.resync()
        for n in range(3):
            h.backend.answer_elsewhere(f"per_{n}")
        await h.resync()
        assert h.notices() == ["3 gates were decided elsewhere (the audit log has each)."]
        assert [line["outcome"] for line in h.audit()] == ["decided elsewhere (gone from a listing)"] * 3

    run(scenario())


def test_new_gates_are_published_once_each(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        asked = ev("permission.asked", id="per_2", sessionID="s1", permission="bash", patterns=["ls"])
        h.events(asked)
        h.events(asked)  # an update of the same gate
        arrived = [p for p in h.published if isinstance(p, GatesArrived)]
        assert [[g.id for g in p.gates] for p in arrived] == [["per_1"], ["per_2"]]
        assert arrived[0].listed and not arrived[1].listed

    run(scenario())


def test_a_question_answered_from_its_options_sends_the_labels(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask_question("que_1", options=("postgres", "sqlite"))
        await h.resync()
        result = await h.service.decide(Decision("que_1", "answer", labels=(("sqlite",),)))
        assert result.ok and h.backend.replies[0].answer == (("sqlite",),)
        assert h.audit()[0]["message"] == "sqlite"

    run(scenario())


def test_a_reply_echoes_the_generation_that_was_on_screen(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1", generation=7)
        await h.resync()
        gate = h.service.store.permissions["per_1"]
        await h.service.decide(Decision("per_1", "once", generation=gate.generation))
        assert h.backend.replies[0].generation == 7

    run(scenario())


def test_a_failed_listing_while_checking_is_tried_again(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        h.backend.ask("per_1")
        await h.resync()
        h.backend.fail["per_1"] = ServerError("bad gateway", status=502, context="replying")
        h.backend.listing_fails = True
        assert (await h.service.decide(Decision("per_1", "once"))).status == "checking"
        h.service.desk._check.cancel()
        check = asyncio.create_task(h.service.desk.check(delay=0.0, longest=0.0))
        await asyncio.sleep(0.01)
        assert not check.done()  # the server does not answer: still checking
        h.backend.listing_fails = False
        await check
        assert h.service.ledger.state("per_1").phase is Phase.FAILED

    run(scenario())


def test_a_server_without_jobs_or_loops_says_so_in_its_capabilities(tmp_path):
    h = Harness(tmp_path, FakeBackend(capabilities=MINIMAL))
    caps = h.service.capabilities
    assert not caps.jobs and caps.loops == "none" and not caps.cli_agent
    assert "Without a message the agent's turn stops" in caps.reject_note()


def test_a_decision_on_a_gate_that_is_not_there_is_said_not_sent(tmp_path):
    async def scenario():
        h = Harness(tmp_path)
        await h.resync()
        result = await h.service.decide(Decision("per_9", "once"))
        assert result.status == "gone" and not h.backend.replies and not h.audit()

    run(scenario())


def test_not_found_from_the_fake_is_the_servers_word(tmp_path):
    """The fake answers an unknown gate as a server does (404), so the tests above test
    the desk, not the fake."""

    async def scenario():
        backend = FakeBackend()
        with pytest.raises(NotFound):
            await backend.reply_permission("per_x", "once")

    run(scenario())


DECISIONS = [
    ("per", Decision("g", "once"), None),
    ("per", Decision("g", "always"), None),
    ("per", Decision("g", "reject"), None),
    ("per", Decision("g", "reject", "not on main"), "not on main"),
    ("que", Decision("g", "answer", "typed words"), "typed words"),
    ("que", Decision("g", "answer", labels=(("sqlite",), ("yes", "no"))), "sqlite; yes, no"),
    ("que", Decision("g", "reject-question", "later"), "later"),
    ("que", Decision("g", "reject-question"), None),
]
OUTCOMES = {
    "ok": (None, "ok"),
    "404": (lambda: NotFound("gone", status=404, context="replying"), "decided elsewhere"),
    "409": (lambda: Conflict("a turn is running", status=409, code="turn_in_flight", context="replying"),
            "refused: a turn is running"),
    "5xx": (lambda: ServerError("bad gateway", status=502, context="replying"), "checking: bad gateway"),
}


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
@pytest.mark.parametrize(("kind", "decision", "message"), DECISIONS,
                         ids=[f"{d.kind}{'-msg' if m else ''}{'-labels' if d.labels else ''}" for _, d, m in DECISIONS])
def test_every_decision_kind_and_outcome_is_one_audit_line(tmp_path, kind, decision, message, outcome):
    async def scenario():
        h = Harness(tmp_path)
        gate_id = f"{kind}_1"
        if kind == "per":
            h.backend.ask(gate_id, command="make deploy")
        else:
            h.backend.ask_question(gate_id)
        await h.resync()
        error, expected = OUTCOMES[outcome]
        if error is not None:
            h.backend.fail[gate_id] = error()
        await h.service.decide(Decision(gate_id, decision.kind, decision.message, labels=decision.labels))
        if h.service.desk._check is not None:
            h.service.desk._check.cancel()
        (line,) = h.audit()
        assert (line["gate"], line["decision"], line["message"], line["outcome"]) == (
            gate_id, decision.kind, message, expected)
        assert line["kind"] == ("permission" if kind == "per" else "question")
        assert line["subject"] == ("make deploy" if kind == "per" else "Which?")

    run(scenario())
