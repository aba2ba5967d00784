"""The models read every documented form tolerantly (contract section 1.2 and C-table)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hoody_tui.api import (
    GenericPart,
    Job,
    JobPage,
    Loop,
    Message,
    MessageWithParts,
    PermissionConfig,
    PermissionReplyBody,
    PermissionRequest,
    Question,
    Session,
    SessionPermissions,
    SessionStatus,
    TextPart,
    ToolPart,
    parse_epoch_ms,
    parse_part,
)
from hoody_tui.api.envelopes import next_cursor, unwrap_list


class TestTime:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (1700000000000, 1700000000000),  # documented: epoch ms
            (1700000000, 1700000000000),  # seconds (< 1e11)
            (1700000000.5, 1700000000500),
            ("1700000000000", 1700000000000),
            ("2023-11-14T22:13:20Z", 1700000000000),
            ("2023-11-14T22:13:20+00:00", 1700000000000),
            ("not a time", None),
            (None, None),
            (True, None),
            ({"a": 1}, None),
            (float("nan"), None),
        ],
    )
    def test_tolerant_epoch_ms(self, value, expected):
        assert parse_epoch_ms(value) == expected


class TestSession:
    def test_documented_shape_and_extra_fields_kept(self):
        s = Session.model_validate(
            {
                "id": "sess_1",
                "projectID": "p",
                "parentID": "sess_0",
                "title": "Fix login",
                "time": {"created": 1700000000000, "updated": 1700000001000},
                "permission": [{"permission": "bash", "pattern": "*", "action": "allow"}],
                "summary": {"additions": 3, "deletions": 1, "files": 2},
                "futureField": {"x": 1},
            }
        )
        assert s.parent_id == "sess_0"
        assert s.updated_ms == 1700000001000
        assert s.permission[0].action == "allow"
        assert s.summary.files == 2
        assert s.model_extra == {"futureField": {"x": 1}}
        # Dumping gives the documented keys back.
        dumped = s.to_json_dict()
        assert dumped["parentID"] == "sess_0" and dumped["projectID"] == "p"

    def test_id_is_required(self):
        with pytest.raises(ValidationError):
            Session.model_validate({"title": "no id"})

    def test_odd_summary_does_not_break_the_session(self):
        assert Session.model_validate({"id": "s", "summary": "text"}).summary is None

    def test_retry_status(self):
        st = SessionStatus.model_validate({"type": "retry", "attempt": 2, "message": "rate limited", "next": 1700000009000})
        assert (st.type, st.attempt, st.next) == ("retry", 2, 1700000009000)
        assert SessionStatus.model_validate({"type": "brand-new-state"}).type == "brand-new-state"


class TestMessages:
    def test_info_parts_form(self):
        m = MessageWithParts.model_validate(
            {
                "info": {
                    "id": "msg_1", "sessionID": "s", "role": "assistant",
                    "time": {"created": 1700000000000, "completed": 1700000005000},
                    "providerID": "anthropic", "modelID": "claude", "cost": 0.012,
                    "tokens": {"input": 10, "output": 20, "reasoning": 5, "cache": {"read": 1, "write": 2}},
                },
                "parts": [{"id": "p1", "type": "text", "text": "hello"}],
            }
        )
        assert m.info.is_complete
        assert m.info.model_label == "anthropic/claude"
        assert m.info.tokens.total == 38
        assert isinstance(m.parts[0], TextPart)

    def test_snapshot_form_and_flat_form(self):
        snap = MessageWithParts.model_validate({"message": {"id": "m", "role": "assistant"}, "parts": []})
        flat = MessageWithParts.model_validate({"id": "m", "role": "user", "parts": [{"id": "p", "type": "text", "text": "x"}]})
        assert snap.info.id == flat.info.id == "m"
        assert not snap.info.is_complete
        assert flat.parts[0].text == "x"

    def test_user_message_model_object(self):
        m = Message.model_validate({"id": "m", "role": "user", "model": {"providerID": "openai", "modelID": "gpt"}})
        assert m.model_label == "openai/gpt"

    @pytest.mark.parametrize(
        "kind", ["text", "reasoning", "tool", "file", "step-start", "step-finish", "agent", "subtask",
                 "patch", "snapshot", "retry", "compaction"],
    )
    def test_every_known_part_type(self, kind):
        part = parse_part({"id": "p", "type": kind})
        assert part.type == kind
        assert not isinstance(part, GenericPart)

    def test_unknown_part_type_is_kept_not_rejected(self):
        part = parse_part({"id": "p", "type": "hologram", "payload": [1, 2]})
        assert isinstance(part, GenericPart)
        assert part.type == "hologram" and part.model_extra == {"payload": [1, 2]}

    @pytest.mark.parametrize(
        ("state", "status"),
        [
            ({"status": "pending", "input": {}, "raw": "{"}, "pending"),
            ({"status": "running", "input": {"command": "ls"}, "title": "ls", "time": {"start": 1700000000000}}, "running"),
            ({"status": "completed", "input": {}, "output": "ok", "title": "t", "metadata": {},
              "time": {"start": 1700000000000, "end": 1700000000100}}, "completed"),
            ({"status": "error", "input": {}, "error": "boom", "time": {"start": 1700000000000, "end": 1700000000001}}, "error"),
        ],
    )
    def test_tool_states(self, state, status):
        part = parse_part({"id": "p", "type": "tool", "callID": "c", "tool": "bash", "state": state})
        assert isinstance(part, ToolPart)
        assert part.state.status == status
        assert part.call_id == "c"

    def test_tool_error_as_object_becomes_text(self):
        part = parse_part({"id": "p", "type": "tool", "state": {"status": "error", "error": {"name": "X", "data": {"message": "denied"}}}})
        assert part.state.error == "denied"

    def test_tool_duration(self):
        part = parse_part({"id": "p", "type": "tool", "state": {"status": "completed", "time": {"start": 1700000000000, "end": 1700000000250}}})
        assert part.state.duration_ms == 250


class TestPermissions:
    def test_documented_request(self):
        req = PermissionRequest.model_validate(
            {"id": "per_abc", "sessionID": "s", "permission": "bash", "patterns": ["rm -rf *", "sudo *"],
             "metadata": {"command": "rm -rf build"}, "always": ["npm install *"],
             "tool": {"messageID": "msg_1", "callID": "call_1"}}
        )
        # C20: both shown verbatim, neither derived from the other.
        assert req.patterns == ["rm -rf *", "sudo *"] and req.always == ["npm install *"]
        assert req.command == "rm -rf build"
        assert req.tool.call_id == "call_1"

    def test_legacy_opencode_form(self):
        req = PermissionRequest.model_validate(
            {"id": "per_1", "type": "edit", "pattern": "src/*.ts", "sessionID": "s", "messageID": "m", "callID": "c",
             "title": "Edit file", "metadata": {"filepath": "/x.ts"}, "time": {"created": 1700000000000}}
        )
        assert req.permission == "edit" and req.patterns == ["src/*.ts"]
        assert req.tool.message_id == "m" and req.filepath == "/x.ts"
        assert req.always == []

    def test_effective_ruleset_kept_in_server_order(self):
        rules = SessionPermissions.model_validate(
            {"agent": "build",
             "agentRuleset": [{"permission": "bash", "pattern": "*", "action": "allow"}],
             "sessionRuleset": [{"permission": "bash", "pattern": "rm -rf *", "action": "deny"}],
             "effective": [{"permission": "bash", "pattern": "rm -rf *", "action": "deny"},
                           {"permission": "bash", "pattern": "*", "action": "allow"}]}
        )
        assert [r.pattern for r in rules.effective] == ["rm -rf *", "*"]

    def test_config_map_values(self):
        cfg = PermissionConfig.model_validate(
            {"permission": {"edit": "allow", "bash": {"git *": "allow", "*": "ask"}}, "yolo": False,
             "tool_wake_policy": {"bash": "next_turn"}}
        )
        assert cfg.permission["bash"] == {"git *": "allow", "*": "ask"}
        assert cfg.tool_wake_policy == {"bash": "next_turn"}

    def test_reply_body_alternative_form(self):
        assert PermissionReplyBody.model_validate({"approved": True}).reply == "once"
        body = PermissionReplyBody.model_validate({"approved": False, "reason": "no"})
        assert (body.reply, body.message) == ("reject", "no")


class TestQuestions:
    def test_opencode_form(self):
        q = Question.model_validate(
            {"id": "que_1", "sessionID": "s", "questions": [
                {"question": "Which DB?", "header": "DB", "options": [{"label": "Postgres", "description": "safe"}, {"label": "SQLite"}], "multiple": False}]}
        )
        assert q.questions[0].options[1].label == "SQLite"

    def test_flat_form_with_string_options(self):
        q = Question.model_validate({"id": "que_1", "sessionID": "s", "question": "Go on?", "options": ["yes", "no"]})
        assert q.text == "Go on?"
        assert [o.label for o in q.questions[0].options] == ["yes", "no"]


class TestJobs:
    JOB = {
        "id": "job_1", "sessionID": "s", "messageID": "m", "callID": "c", "tool": "bash", "status": "running",
        "input": {"command": "npm test"}, "progress": {"message": "Running", "percent": 42},
        "output": "Test 1 passed\n", "fullOutput": "all", "attachments": [{"mime": "text/plain", "url": "u"}],
        "metadata": {}, "time": {"created": 1700000000000, "started": 1700000000050},
        "wakePolicy": "auto", "durability": "session", "groupID": "grp_1", "timeout": 60000,
        "retries": {"max": 2, "count": 0}, "completionProcessed": False, "parentJobId": None,
        "childJobIds": ["job_2"], "totalChildren": 1, "finishedChildJobIds": [],
    }

    def test_every_documented_field(self):
        job = Job.model_validate(self.JOB)
        assert job.percent == 42 and job.progress.message == "Running"
        assert job.wake_policy == "auto" and job.group_id == "grp_1"
        assert job.retries.max == 2 and job.child_job_ids == ["job_2"]
        assert not job.is_terminal
        assert job.to_json_dict()["parentJobId"] if False else "parentJobId" not in job.to_json_dict()
        assert job.to_json_dict()["childJobIds"] == ["job_2"]

    @pytest.mark.parametrize(
        ("error", "text"),
        [("boom", "boom"), ({"message": "bad"}, "bad"), ({"name": "X", "data": {"message": "deep"}}, "deep"), (42, "42")],
    )
    def test_error_in_any_shape(self, error, text):
        assert Job.model_validate({"id": "j", "error": error}).error == text

    def test_retryable_excludes_children(self):
        assert Job.model_validate({"id": "j", "status": "failed"}).is_retryable
        assert not Job.model_validate({"id": "j", "status": "failed", "parentJobId": "p"}).is_retryable
        assert not Job.model_validate({"id": "j", "status": "completed"}).is_retryable

    def test_alternate_casing(self):
        job = Job.model_validate({"jobId": "j", "parentJobID": "p", "childJobIDs": ["c"]})
        assert (job.id, job.parent_job_id, job.child_job_ids) == ("j", "p", ["c"])

    def test_page(self):
        page = JobPage.model_validate({"jobs": [self.JOB], "nextCursor": "job_1"})
        assert page.next_cursor == "job_1" and page.jobs[0].id == "job_1"


class TestLoop:
    def test_documented(self):
        loop = Loop.model_validate(
            {"prompt": "Run tests", "iters": 5, "iter": 1, "started_at": 1700000000000, "launch_id": "launch_1",
             "agent": "build", "model": {"providerID": "anthropic", "modelID": "claude"}, "system": "careful"}
        )
        assert loop.progress_label == "1/5" and loop.model.label() == "anthropic/claude"
        assert loop.to_json_dict()["started_at"] == 1700000000000


class TestEnvelopes:
    @pytest.mark.parametrize(
        "body",
        [[1, 2], {"items": [1, 2], "total": 2}, {"jobs": [1, 2]}, {"sessions": [1, 2]}, {"data": [1, 2]}, {"results": [1, 2]}],
    )
    def test_unwrap_every_envelope(self, body):
        assert unwrap_list(body) == [1, 2]

    def test_no_list(self):
        assert unwrap_list({"error": "x"}) is None and unwrap_list("x") is None

    @pytest.mark.parametrize(
        ("body", "cursor"),
        [({"nextCursor": "a"}, "a"), ({"cursor": "b"}, "b"), ({"next_cursor": "c"}, "c"), ({"meta": {"next": 3}}, "3"),
         ({"nextCursor": None}, None), ([1], None), ({"nextCursor": ""}, None)],
    )
    def test_cursor(self, body, cursor):
        assert next_cursor(body) == cursor
