"""Decision integrity, as a property of the workspace service (no Textual, no network).

Hypothesis interleaves gates arriving, gates answered elsewhere, listings (stale or
fresh), replies that fail every way a server can make them fail, and decisions of every
kind, some of them twice at once. Checked both ways:

- every reply the backend received is one decision's, on that decision's gate, with its
  kind, and no gate was ever accepted twice;
- every decision on a gate that was pending and free went out exactly once, or was
  refused with a reason that holds (already on its way / not pending): a build that
  never sends fails this, as does one that sends twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoody_tui.api.errors import Conflict, NotFound, RequestTimeout, ServerError
from hoody_tui.core.publications import StoreUpdated
from hoody_tui.core.service import WorkspaceService
from hoody_tui.gates.audit import AuditLog
from hoody_tui.gates.ledger import Decision

from ..fakes import FakeBackend

KINDS = ["once", "always", "reject", "answer", "reject-question"]
FAILURES = {
    "404": lambda: NotFound("gone", status=404, context="replying"),
    "409-gone": lambda: Conflict("gone", status=409, code="stale_gate", context="replying"),
    "409-refused": lambda: Conflict("busy", status=409, code="turn_in_flight", context="replying"),
    "5xx": lambda: ServerError("bad gateway", status=502, context="replying"),
    "timeout": lambda: RequestTimeout("timed out", context="replying"),
}

operations = st.lists(
    st.one_of(
        st.tuples(st.just("ask"), st.sampled_from(["permission", "question"])),
        st.tuples(st.just("elsewhere"), st.integers(0, 9)),
        st.tuples(st.just("decide"), st.tuples(st.integers(0, 9), st.sampled_from(KINDS))),
        st.tuples(st.just("twice"), st.tuples(st.integers(0, 9), st.sampled_from(KINDS))),
        st.tuples(st.just("fail"), st.tuples(st.integers(0, 9), st.sampled_from(sorted(FAILURES)))),
        st.tuples(st.just("listing"), st.booleans()),
    ),
    min_size=3,
    max_size=30,
)


def _decision(gate, kind: str) -> Decision:
    """The decision a key of ``kind`` makes on ``gate``, as the gates view builds it."""
    is_question = gate.id.startswith("que")
    if is_question and kind in ("once", "always", "reject"):
        kind = {"once": "answer", "always": "answer", "reject": "reject-question"}[kind]
    if not is_question and kind in ("answer", "reject-question"):
        kind = "reject" if kind == "reject-question" else "once"
    labels = (("a",),) if kind == "answer" else None
    return Decision(gate.id, kind, labels=labels, generation=gate.generation)  # type: ignore[arg-type]


async def run_example(ops, tmp_path) -> None:
    backend = FakeBackend()
    backend.add_session("s1")
    service = WorkspaceService(backend, audit=AuditLog(tmp_path / "audit.jsonl"), publish=lambda p: None)
    store = service.store
    n = 0
    stale = None
    made: list[tuple[Decision, str, int]] = []  # (decision, its status, replies it caused)

    async def resync(stale=None) -> None:
        """What the pump does on a (re)connect; ``stale``: a listing taken earlier arrives now."""
        backend.pinned = stale
        service.received(StoreUpdated(store.resync(await service._snapshot())))

    async def decide(decision: Decision) -> None:
        pending_before = decision.gate_id in store.permissions or decision.gate_id in store.questions
        locked_before = service.ledger.locked(decision.gate_id)
        before = len(backend.replies)
        result = await service.decide(decision)
        caused = len(backend.replies) - before
        made.append((decision, result.status, caused))
        if result.status in ("ok", "elsewhere", "refused", "checking"):
            assert caused == 1, (decision, result)
        else:
            assert caused == 0, (decision, result)
        if result.status == "busy":
            assert locked_before, "refused as busy with nothing on its way"
        if result.status == "gone":
            assert not pending_before, "refused as gone while pending"
        if pending_before and not locked_before:
            assert result.status not in ("busy", "gone"), (decision, result)

    await resync()
    for op, arg in ops:
        gates = store.gates_in_order()
        if op == "ask":
            n += 1
            if arg == "question":
                backend.ask_question(f"que_{n}")
            else:
                backend.ask(f"per_{n}", generation=n)
            await resync()
        elif op == "elsewhere":
            pending = sorted([*backend.permissions, *backend.questions])
            if pending:
                backend.answer_elsewhere(pending[arg % len(pending)])
        elif op == "fail" and gates:
            gate = gates[arg[0] % len(gates)]
            backend.fail[gate.id] = FAILURES[arg[1]]()
        elif op == "listing":
            if arg:
                stale = await backend.snapshot()  # taken now, delivered later
            else:
                await resync(stale)
                stale = None
        elif op in ("decide", "twice") and gates:
            gate = gates[arg[0] % len(gates)]
            decision = _decision(gate, arg[1])
            if op == "twice":
                await asyncio.gather(decide(decision), decide(decision))
            else:
                await decide(decision)
    if service.desk._check is not None:
        backend.listing_fails = False
        service.desk._check.cancel()
    # Every reply the backend got is a decision's: that gate, that kind, one each.
    sent = Counter((r.gate_id, r.kind) for r in backend.replies)
    decided = Counter((d.gate_id, d.kind) for d, _, caused in made for _ in range(caused))
    assert sent == decided
    accepted = Counter(r.gate_id for r in backend.replies if r.accepted)
    assert all(count == 1 for count in accepted.values()), accepted
    # A reply echoes the generation of the gate it was made on.
    assert all(r.generation == int(r.gate_id.split("_")[1]) for r in backend.replies if r.gate_id.startswith("per"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_every_decision_goes_out_once_to_the_gate_it_was_made_on(ops, tmp_path):
    asyncio.run(run_example(ops, tmp_path))
