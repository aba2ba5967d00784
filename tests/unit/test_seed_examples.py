"""Every JSON example in the API docs (the seeds, kept in tests/fixtures/seeds/docs) is a
fixture that must parse.

The fixtures are extracted by tests/fixtures/seeds/extract.py (a scanner checked against
hand-made tables of every example); each is read with the model the client uses for
that shape. OutOfScope examples (endpoints the TUI does
not call: workspace CRUD, memory, MCP, orchestration...) must still be valid JSON and
are listed so a new in-scope shape cannot hide among them. Seed 002 (the gateway)
shows no JSON, only prose like ``{ text }``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from hoody_tui import api
from hoody_tui.api.envelopes import next_cursor, unwrap_list

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
SEEDS = FIXTURES / "docs"
"""A copy of the API docs the examples come from, in the repository, so the check that the
fixtures hold every example runs in any clone."""


def _list(model):
    adapter = TypeAdapter(list[model])
    return lambda value: adapter.validate_python(unwrap_list(value))


def _error(value):
    err = api.error_from_response(400, value)
    assert err.message and err.message != "The server refused the request as invalid"
    return err


def _message_stream(value):
    return api.parse_message_stream_event(value)


def _cli_agent(value):
    return api.parse_cli_agent_event(value)


def _event(value):
    event = api.parse_event(value)
    assert not isinstance(event, api.UnknownEvent)
    return event


def _envelope(value):
    assert unwrap_list(value) is not None and next_cursor(value)
    return value


def _bool(value):
    assert value in (True, False, None)
    return True


READERS = {
    "Session": api.Session.model_validate,
    "SessionList": _list(api.Session),
    "Bool": _bool,
    "LoopOrNull": lambda v: True if v is None else api.Loop.model_validate(v),
    "SessionPermissions": api.SessionPermissions.model_validate,
    "PermissionConfig": api.PermissionConfig.model_validate,
    "PermissionRequestList": _list(api.PermissionRequest),
    "PermissionReplyBody": api.PermissionReplyBody.model_validate,
    "QuestionReplyBody": api.QuestionReplyBody.model_validate,
    "QuestionRejectBody": api.QuestionRejectBody.model_validate,
    "ErrorBody": _error,
    "Part": api.parse_part,
    "MessageStreamEvent": _message_stream,
    "CliAgentStreamEvent": _cli_agent,
    "Event": _event,
    "Loop": api.Loop.model_validate,
    "LoopStartBody": api.LoopStartBody.model_validate,
    "Job": api.Job.model_validate,
    "JobList": lambda v: api.JobPage(jobs=_list(api.Job)(v), nextCursor=next_cursor(v)),
    "JobOutput": api.JobOutput.model_validate,
    "JobCancelResult": api.JobCancelResult.model_validate,
    "BulkCancelBody": api.BulkCancelBody.model_validate,
    "BulkCancelResult": api.BulkCancelResult.model_validate,
    "JobRetryResult": api.JobRetryResult.model_validate,
    "InjectBody": api.InjectBody.model_validate,
    "InjectResult": api.InjectResult.model_validate,
    "CliAgentStartBody": api.CliAgentStartBody.model_validate,
    "CliAgentStarted": api.CliAgentStarted.model_validate,
    "PathInfo": api.PathInfo.model_validate,
    "AgentList": _list(api.AgentInfo),
    "SkillList": _list(api.Skill),
    "CommandList": _list(api.Command),
    "FormatterStatusList": _list(api.FormatterStatus),
    "LspStatusList": _list(api.LspStatus),
    "VcsInfo": api.VcsInfo.model_validate,
    "PromptBody": api.PromptBody.model_validate,
    "SessionPatchBody": api.SessionPatchBody.model_validate,
    "ForkBody": api.ForkBody.model_validate,
    "ListEnvelope": _envelope,
}


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_seed_example_parses(entry):
    value = json.loads((FIXTURES / entry["file"]).read_text())
    kind = entry["kind"]
    if kind == "OutOfScope":
        assert isinstance(value, (dict, list)) and entry.get("note")  # the note names the endpoint family
        return
    result = READERS[kind](value)
    assert result is not None


def test_every_kind_has_a_reader_and_the_core_shapes_are_covered():
    kinds = Counter(e["kind"] for e in MANIFEST)
    assert set(kinds) - {"OutOfScope"} <= set(READERS)
    # The dedicated pages (000, 003, 004) are in scope whole: none of theirs is OutOfScope.
    dedicated = [e for e in MANIFEST if e["seed"] in ("000", "003", "004")]
    assert dedicated and all(e["kind"] != "OutOfScope" for e in dedicated)
    for kind in ("SessionPermissions", "PermissionRequestList", "JobList", "Loop", "MessageStreamEvent",
                 "CliAgentStreamEvent", "ErrorBody", "Event", "PermissionConfig"):
        assert kinds[kind] >= 1, kind


def test_fixtures_are_complete_against_the_seeds():
    """Re-extract from the docs: the committed fixtures hold every example there is."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("seed_extract", FIXTURES / "extract.py")
    extract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extract)
    fresh = [(entry["file"], entry["kind"], extract.plain(value)) for entry, value in extract.build(SEEDS)]
    committed = [(e["file"], e["kind"], json.loads((FIXTURES / e["file"]).read_text())) for e in MANIFEST]
    assert fresh == committed
