"""A fixed, small workspace as the events the worker would post (for tests without a server)."""

from __future__ import annotations

from hoody_tui.api import parse_event

NOW = 1700000100.0


def ev(kind: str, **props):
    return parse_event({"type": kind, "properties": props})


def workspace_events() -> list:
    return [
        ev("session.created", info={"id": "s1", "title": "Fix the login bug", "time": {"created": 1700000000000, "updated": 1700000050000}}),
        ev("session.created", info={"id": "s2", "title": "Refactor auth [bold red]boom[/]", "parentID": "s1", "time": {"created": 1700000001000}}),
        ev("session.created", info={"id": "s3", "title": "Write docs", "time": {"created": 1700000002000}}),
        ev("session.status", sessionID="s1", status={"type": "busy"}),
        ev("session.status", sessionID="s3", status={"type": "retry", "attempt": 2, "message": "rate limited"}),
        ev("message.updated", info={"id": "m1", "sessionID": "s1", "role": "user", "time": {"created": 1700000010000}}),
        ev("message.part.updated", part={"id": "p0", "sessionID": "s1", "messageID": "m1", "type": "text", "text": "Please fix the login bug"}),
        ev("message.updated", info={"id": "m2", "sessionID": "s1", "role": "assistant", "agent": "build", "providerID": "anthropic",
                                    "modelID": "claude-sonnet", "cost": 0.0123, "tokens": {"input": 1200, "output": 300},
                                    "time": {"created": 1700000020000}}),
        ev("message.part.updated", part={"id": "p1", "sessionID": "s1", "messageID": "m2", "type": "reasoning", "text": "thinking"}),
        ev("message.part.updated", part={"id": "p2", "sessionID": "s1", "messageID": "m2", "type": "text",
                                         "text": "I'll look at **auth.py** first.\x1b]52;c;ZXZpbA==\x07"}),
        ev("message.part.updated", part={"id": "p3", "sessionID": "s1", "messageID": "m2", "type": "tool", "tool": "bash", "callID": "c1",
                                         "state": {"status": "completed", "input": {"command": "pytest -q"}, "output": "3 passed\x1b[2J",
                                                   "title": "pytest -q", "time": {"start": 1700000021000, "end": 1700000023500}}}),
        ev("permission.asked", id="per_1", sessionID="s1", permission="bash", patterns=["rm -rf build"], metadata={"command": "rm -rf build/"}),
        ev("question.asked", id="que_1", sessionID="s3", questions=[{"question": "Which database?", "header": "Database",
                                                                      "options": [{"label": "postgres", "description": "what prod runs"},
                                                                                  {"label": "sqlite"}]}]),
        ev("permission.asked", id="per_2", sessionID="s2", permission="edit", patterns=["src/auth.py"], always=["*"],
           metadata={"filepath": "/home/dev/app/src/auth.py",
                     "diff": "--- a/src/auth.py\n+++ b/src/auth.py\n@@ -1,3 +1,4 @@\n def login(user):\n-    return redirect(next)\n+    target = safe_redirect(next)\n+    return redirect(target)\n"},
           tool={"messageID": "m2", "callID": "c9"}),
        ev("job.updated", job={"id": "job_1", "sessionID": "s1", "tool": "bash", "status": "running",
                               "progress": {"message": "Running tests", "percent": 42},
                               "time": {"created": 1700000030000, "started": 1700000031000}}),
        ev("job.updated", job={"id": "job_2", "sessionID": "s3", "tool": "webfetch", "status": "failed", "error": "timeout",
                               "time": {"created": 1700000030000, "started": 1700000031000, "completed": 1700000041000},
                               "retries": {"max": 2, "count": 1}}),
        ev("loop.updated", sessionID="s3", loop={"prompt": "again", "iters": 5, "iter": 2}),
    ]


def rules_loaded(app) -> None:
    """What the rules worker would have put in the gates pane for each session."""
    from hoody_tui.api import SessionPermissions

    rules = SessionPermissions.model_validate({
        "agent": "build",
        "agentRuleset": [{"permission": "bash", "pattern": "*", "action": "ask"},
                         {"permission": "bash", "pattern": "git status*", "action": "allow"}],
        "sessionRuleset": [{"permission": "edit", "pattern": "*", "action": "ask"}],
        "effective": [{"permission": "bash", "pattern": "*", "action": "ask"},
                      {"permission": "bash", "pattern": "git status*", "action": "allow"},
                      {"permission": "edit", "pattern": "*", "action": "ask"}],
    })
    for sid in ("s1", "s2", "s3"):
        app.gates_view.rules[sid] = rules
