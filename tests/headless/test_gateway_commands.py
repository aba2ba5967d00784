"""The headless commands against the gateway flavour of the reference server: its gates
carry a generation, which ``pending`` shows and ``--generation`` holds a decision to."""

from __future__ import annotations

from ..integration.gateway_helpers import gateway
from .conftest import audit_lines, hoody


def _at(srv, *argv: str) -> object:
    return hoody(*argv, "--url", srv.url, "--backend", "gateway")


def test_pending_shows_the_generation_and_approve_holds_the_decision_to_it(tmp_path):
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Deploy")["id"]
        gate = srv.call(srv.state.park_gate, sid, tool="bash", args={"command": "make deploy"})
        [listed] = _at(srv, "pending", "--json").json()
        assert (listed["id"], listed["generation"], listed["tool"]) == (gate["gate_id"], gate["generation"], "bash")
        assert "make deploy" in listed["subject"]

        stale = _at(srv, "approve", gate["gate_id"], "--generation", str(gate["generation"] + 1))
        assert stale.code == 3 and "has changed since generation" in stale.err
        assert srv.call(srv.state.get_summary, sid)["pending_gate"] is not None  # nothing was sent

        audit = tmp_path / "audit.jsonl"
        ran = _at(srv, "approve", gate["gate_id"], "--generation", str(gate["generation"]),
                  "--audit-log", str(audit))
        assert ran.code == 0, ran.err
        assert srv.call(srv.state.get_summary, sid)["pending_gate"] is None
        [record] = audit_lines(audit)
        assert (record["via"], record["decision"], record["outcome"]) == ("cli", "once", "ok")
        assert _at(srv, "approve", gate["gate_id"]).code == 3


def test_what_the_gateway_cannot_carry_is_refused_before_anything_is_sent():
    with gateway() as srv:
        sid = srv.call(srv.state.create_session, "Ask")["id"]
        question = srv.call(srv.state.park_gate, sid, "question", options=["postgres", "sqlite"])
        refused = _at(srv, "reject", question["gate_id"], "--message", "no")
        assert refused.code == 2 and "cannot reject a question" in refused.err
        other = srv.call(srv.state.create_session, "Confirm")["id"]
        confirm = srv.call(srv.state.park_gate, other)
        refused = _at(srv, "reject", confirm["gate_id"], "--message", "why not")
        assert refused.code == 2 and "takes no message with a reject" in refused.err
        answered = _at(srv, "answer", question["gate_id"], "--option", "2")
        assert answered.code == 0, answered.err
        assert srv.call(srv.state.get_summary, sid)["pending_gate"] is None
        sessions = _at(srv, "sessions", "--json").json()
        assert {s["id"]: s["status"] for s in sessions}[other] == "needs-you"
