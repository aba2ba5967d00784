"""``pending``, ``approve``/``reject``/``answer`` and ``sessions`` against the reference
server: what is printed, what reaches the server (once), the exit status, the audit."""

from __future__ import annotations

import pytest

from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.refserver.runner import start_in_thread

from .conftest import TOKEN, at, audit_lines, hoody


@pytest.fixture
def gates(server):
    """A session with a risky permission request, then a question (that order)."""
    sid = server.call(server.state.create_session, "Clean the build")["id"]
    permission = server.call(server.state.raise_permission, sid, "bash", ["rm -rf build"], ["rm *"],
                             {"command": "rm -rf build"})
    question = server.call(server.state.raise_question, sid, "Which database?", ["Postgres", "SQLite"])
    return sid, permission["id"], question["id"]


def replies(server) -> list[dict]:
    return server.call(lambda: list(server.state.replies))


def test_pending_json_lists_every_gate_oldest_first_with_what_a_script_needs(server, gates):
    sid, permission, question = gates
    ran = at(server, "pending", "--json")
    assert ran.code == 0, ran.err
    listed = ran.json()
    assert [g["id"] for g in listed] == [permission, question]
    first, second = listed
    assert first["kind"] == "permission" and second["kind"] == "question"
    assert first["session"] == sid and first["session_title"] == "Clean the build"
    assert first["tool"] == "bash" and first["command"] == "rm -rf build" and first["always"] == ["rm *"]
    assert any("rm -rf" in reason for reason in first["risk"])
    assert second["subject"] == "Which database?"
    assert second["questions"] == [{"question": "Which database?", "header": "Which database", "multiple": False,
                                    "options": ["Postgres", "SQLite"]}]
    assert all("age_s" in g for g in listed)


def test_pending_prints_a_table_for_a_person(server, gates):
    _, permission, question = gates
    ran = at(server, "pending")
    assert ran.code == 0
    header, *rows = ran.out.splitlines()
    assert header.split() == ["ID", "KIND", "SESSION", "TOOL", "WHAT", "AGE", "RISK"]
    assert rows[0].startswith(permission) and "rm -rf build" in rows[0] and "⚠" in rows[0]
    assert rows[1].startswith(question) and "Which database?" in rows[1]


def test_pending_with_nothing_waiting(server):
    assert at(server, "pending").out.strip() == "No gate is waiting for you."
    assert at(server, "pending", "--json").json() == []


def test_approve_sends_the_reply_once_and_audits_it_as_from_the_command_line(server, gates, tmp_path):
    _, permission, _ = gates
    audit = tmp_path / "audit.jsonl"
    ran = at(server, "approve", permission, audit=audit)
    assert ran.code == 0, ran.err
    assert ran.out.strip() == "Allowed once: bash: rm -rf build"
    assert [(r["requestID"], r["body"]["reply"]) for r in replies(server)] == [(permission, "once")]
    [record] = audit_lines(audit)
    assert (record["gate"], record["decision"], record["outcome"], record["via"]) == (permission, "once", "ok", "cli")

    again = at(server, "approve", permission, audit=audit)
    assert again.code == 3
    assert f"no gate {permission} is pending" in again.err and "already decided" in again.err
    assert len(replies(server)) == 1  # nothing was sent the second time
    assert again.out == ""


def test_each_decision_reaches_the_server_as_asked(server, tmp_path):
    sid = server.call(server.state.create_session, "S")["id"]

    def permission(command: str) -> str:
        return server.call(server.state.raise_permission, sid, "bash", [command], [f"{command} *"],
                           {"command": command})["id"]

    always, rejected = permission("npm test"), permission("git push")
    picked = server.call(server.state.raise_question, sid, "Which?", ["A", "B", "C"], multiple=True)["id"]
    typed = server.call(server.state.raise_question, sid, "Name it", ["x"])["id"]
    refused = server.call(server.state.raise_question, sid, "Go on?", ["yes"])["id"]

    assert at(server, "approve", always, "--always").out.startswith("Allowed always: bash: npm test; from now on: npm test *")
    assert at(server, "reject", rejected, "--message", "use the staging remote").code == 0
    assert at(server, "answer", picked, "--option", "3", "--option", "1").code == 0
    assert at(server, "answer", typed, "--text", "Ada").code == 0
    assert at(server, "reject", refused, "--message", "not now").code == 0
    sent = {r["requestID"]: (r["kind"], r["body"]) for r in replies(server)}
    assert sent[always] == ("permission.reply", {"reply": "always"})
    assert sent[rejected] == ("permission.reply", {"reply": "reject", "message": "use the staging remote"})
    assert sent[picked] == ("question.reply", {"answer": "C, A"})  # the documented form (C7)
    assert sent[typed] == ("question.reply", {"answer": "Ada"})
    assert sent[refused][0] == "question.reject"
    assert at(server, "pending", "--json").json() == []


def test_an_answer_the_gate_does_not_take_is_a_usage_error_and_sends_nothing(server, gates):
    _, permission, question = gates
    ran = at(server, "answer", permission, "--option", "1")
    assert (ran.code, "is a permission request" in ran.err) == (2, True)
    ran = at(server, "approve", question)
    assert (ran.code, "is a question: answer it" in ran.err) == (2, True)
    ran = at(server, "answer", question, "--option", "3")
    assert ran.code == 2
    assert "option 3 is not one of this question's" in ran.err
    assert "--option 1  Postgres" in ran.err and "--option 2  SQLite" in ran.err
    ran = at(server, "answer", question, "--option", "1", "--option", "2")
    assert (ran.code, "part 1 takes one option, not 2" in ran.err) == (2, True)
    ran = at(server, "answer", question, "--option", "one")
    assert (ran.code, "--option takes a number" in ran.err) == (2, True)
    assert at(server, "answer", question).code == 2  # --option or --text: argparse says which
    assert at(server, "approve", permission, "--generation", "2").code == 2  # no generations here
    assert replies(server) == []


def test_a_gate_decided_elsewhere_first_exits_3_and_says_so(server, gates, tmp_path):
    _, permission, _ = gates
    _reply_elsewhere(server, permission)
    ran = at(server, "reject", permission, audit=tmp_path / "a.jsonl")
    assert ran.code == 3
    assert "already decided" in ran.err
    assert audit_lines(tmp_path / "a.jsonl") == []  # nothing decided here, nothing to audit


def _reply_elsewhere(server, gate_id: str) -> None:
    import asyncio

    async def reply() -> None:
        async with HoodyClient(server.url, server.workspace) as other:
            await other.reply_permission(gate_id, "once", "elsewhere")

    asyncio.run(reply())


def test_a_gate_decided_elsewhere_while_the_reply_was_on_its_way_exits_3(server, gates, tmp_path):
    """The listing still had it; the server answers the reply 404: it was decided meanwhile."""
    _, permission, _ = gates
    server.set_faults(fail_routes=[r"/permissions/[^/]+/reply$"], fail_status=404)
    audit = tmp_path / "audit.jsonl"
    ran = at(server, "approve", permission, audit=audit)
    assert ran.code == 3
    assert ran.err.strip() == "hoody-tui: Decided elsewhere before your reply arrived: bash: rm -rf build"
    [record] = audit_lines(audit)
    assert (record["outcome"], record["via"]) == ("decided elsewhere", "cli")
    assert server.call(server.state.hit_count, "/reply") == 1


def test_a_reply_without_an_answer_is_checked_by_a_listing_never_sent_again(server, gates, tmp_path):
    _, permission, _ = gates
    server.set_faults(fail_routes=[r"/permissions/[^/]+/reply$"], fail_status=502)
    audit = tmp_path / "audit.jsonl"
    ran = at(server, "approve", permission, audit=audit)
    assert ran.code == 1
    assert "checking whether the reply arrived" in ran.err
    assert "did not reach the server: bash: rm -rf build is still pending. Nothing was sent again" in ran.err
    assert server.call(server.state.hit_count, "/reply") == 1
    assert [r["outcome"] for r in audit_lines(audit)][-1] == "not delivered (still pending)"
    server.set_faults(fail_routes=[])
    assert at(server, "approve", permission).code == 0  # the person runs it again: now it lands


def test_sessions_lists_the_ones_waiting_on_you_first(server, gates):
    sid, _, _ = gates
    other = server.call(server.state.create_session, "Quiet one")["id"]
    listed = at(server, "sessions", "--json").json()
    assert [s["id"] for s in listed][:1] == [sid]
    first = listed[0]
    assert (first["status"], first["pending_gates"], first["title"]) == ("needs-you", 2, "Clean the build")
    assert next(s for s in listed if s["id"] == other)["pending_gates"] == 0
    table = at(server, "sessions").out.splitlines()
    assert table[0].split() == ["ID", "STATUS", "TITLE", "AGENT", "MODEL", "COST", "GATES", "UPDATED"]
    assert table[1].startswith(sid) and "needs-you" in table[1]


def test_a_rejected_token_exits_4_and_never_shows_it(make_server, monkeypatch):
    server = make_server(token=TOKEN)
    ran = at(server, "pending")
    assert ran.code == 4
    assert "refused the token" in ran.err and "HOODY_TOKEN" in ran.err
    monkeypatch.setenv("HOODY_TOKEN", "wrong-s3cr3t-value")
    for argv in (["approve", "per_x"], ["sessions"], ["events", "--json"], ["pending", "--wait"]):
        ran = at(server, *argv)
        assert ran.code == 4, argv
        assert "wrong-s3cr3t-value" not in ran.err + ran.out and TOKEN not in ran.err
    monkeypatch.setenv("HOODY_TOKEN", TOKEN)
    assert at(server, "pending", "--json").json() == []


def test_an_unreachable_server_is_one_line_and_exit_1(refused_url):
    for argv in (["pending"], ["sessions", "--json"], ["approve", "per_1"], ["events"]):
        ran = hoody(*argv, "--url", refused_url, "--workspace", "w", "--backend", "hoody")
        assert ran.code == 1, argv
        lines = ran.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hoody-tui: ") and "Traceback" not in ran.err
        assert ran.out == ""


def test_wait_times_out_with_its_own_exit_status(server):
    ran = at(server, "pending", "--wait", "--timeout", "0.3")
    assert ran.code == 5
    assert ran.err.strip() == "hoody-tui: no gate was pending after 0.3s"
    assert ran.out == ""


def test_wait_returns_at_once_when_a_gate_is_already_pending(server, gates):
    ran = at(server, "pending", "--wait", "--timeout", "30", "--json")
    assert ran.code == 0
    assert len(ran.json()) == 2


def test_usage_mistakes_exit_2(server):
    assert at(server, "pending", "--timeout", "3").code == 2  # --timeout without --wait
    assert hoody("approve").code == 2  # no id
    assert hoody("pending", "--wait", "--timeout", "-1").code == 2
    ran = hoody("pending")
    assert ran.code == 2 and "no server configured" in ran.err


def test_every_command_has_a_man_page_help():
    for command in ("pending", "approve", "reject", "answer", "sessions", "events"):
        ran = hoody(command, "--help")
        assert ran.code == 0
        for heading in ("usage: hoody-tui " + command, "examples:", "exit status:", "sources:",
                        "3  no such gate pending", "5  timed out"):
            assert heading in ran.out, (command, heading)
    top = hoody("--help").out
    assert "commands:" in top and "pending" in top and "exit status:" in top


def test_version_is_the_installed_package_version():
    from importlib.metadata import version

    ran = hoody("--version")
    assert (ran.code, ran.out.strip()) == (0, f"hoody-tui {version('hoody-tui')}")


def test_agent_text_cannot_drive_the_terminal(server):
    sid = server.call(server.state.create_session, "Evil \x1b]0;pwned\x07 title\x1b[2J")["id"]
    server.call(server.state.raise_permission, sid, "bash", ["echo \x1b[31mred\u009b"], [],
                {"command": "echo \x1b[31mred\u009b\u202e"})
    for argv in (["pending"], ["pending", "--json"], ["sessions"], ["sessions", "--json"]):
        ran = at(server, *argv)
        assert ran.code == 0
        for raw in ("\x1b", "\x07", "\u009b", "\u202e"):
            assert raw not in ran.out, (argv, raw)


def test_one_server_twice_is_the_same_ids_so_an_id_in_both_is_refused(tmp_path, monkeypatch):
    """Two servers minting the same ids (same seed and epoch): a gate id pending in both
    is refused as ambiguous, naming both, and nothing is sent to either."""
    servers = [start_in_thread(scenario="none", seed=3, epoch_ms=1_700_000_000_000, speed=5.0) for _ in range(2)]
    try:
        ids = []
        for s in servers:
            sid = s.call(s.state.create_session, "Same")["id"]
            ids.append(s.call(s.state.raise_permission, sid, "bash", ["ls"], [], {"command": "ls"})["id"])
        assert ids[0] == ids[1]
        config = tmp_path / "config.toml"
        config.write_text("".join(
            f'[profiles.{name}]\nurl = "{s.url}"\nworkspace = "{s.workspace}"\nbackend = "hoody"\n'
            for name, s in zip(("work", "home"), servers, strict=True)))
        monkeypatch.setenv("HOODY_CONFIG", str(config))
        ran = hoody("approve", ids[0], "--profile", "work", "--profile", "home")
        assert ran.code == 2
        assert f"gate {ids[0]} is pending in both work and home: pass --profile" in ran.err
        assert all(s.call(lambda s=s: list(s.state.replies)) == [] for s in servers)
        ran = hoody("approve", ids[0], "--profile", "home")
        assert ran.code == 0
        assert [len(s.call(lambda s=s: list(s.state.replies))) for s in servers] == [0, 1]
    finally:
        for s in servers:
            s.stop()


def _call_asked(s, sid: str, command: str, seconds_ago: float) -> str:
    """A permission request for a bash call that started ``seconds_ago`` (its age)."""
    message = s.call(s.state.add_message, sid, "assistant", None, completed=False)["info"]["id"]
    start = s.call(s.state.now) - int(seconds_ago * 1000)
    call = f"call_{command.replace(' ', '_')}"
    s.call(s.state.add_part, message, {"type": "tool", "tool": "bash", "callID": call, "state": {
        "status": "running", "input": {"command": command}, "time": {"start": start}}})
    return s.call(s.state.raise_permission, sid, "bash", [command], [], {"command": command},
                  {"messageID": message, "callID": call})["id"]


def _two_profiles(tmp_path, monkeypatch, servers, names=("work", "home")):
    config = tmp_path / "config.toml"
    config.write_text("".join(
        f'[profiles.{name}]\nurl = "{s.url}"\nworkspace = "{s.workspace}"\nbackend = "hoody"\n'
        for name, s in zip(names, servers, strict=True)))
    monkeypatch.setenv("HOODY_CONFIG", str(config))


def test_several_profiles_list_one_queue_and_each_decision_reaches_its_own_server(make_server, tmp_path,
                                                                                   monkeypatch):
    work, home = make_server(), make_server()
    _two_profiles(tmp_path, monkeypatch, [work, home])
    ids = {}
    for name, s, waited in (("work", work, 60), ("home", home, 300)):  # home's gate is the older one
        sid = s.call(s.state.create_session, f"{name} session")["id"]
        ids[name] = _call_asked(s, sid, f"make {name}", waited)
    listed = hoody("pending", "--json", "--all-profiles").json()
    assert [(g["source"], g["id"]) for g in listed] == [("home", ids["home"]), ("work", ids["work"])]
    assert [round(g["age_s"] / 60) for g in listed] == [5, 1]  # from each call's start
    assert {g["server"] for g in listed} == {work.url, home.url}
    table = hoody("pending", "--profile", "work", "--profile", "home").out.splitlines()
    assert table[0].split()[:3] == ["ID", "KIND", "SOURCE"]
    audit = tmp_path / "audit.jsonl"
    ran = hoody("approve", ids["work"], "--all-profiles", "--audit-log", str(audit))
    assert (ran.code, ran.out.strip()) == (0, "Allowed once: bash: make work (work)")
    assert [r["requestID"] for r in work.call(lambda: list(work.state.replies))] == [ids["work"]]
    assert home.call(lambda: list(home.state.replies)) == []
    assert audit_lines(audit)[0]["server"] == work.url


def test_with_several_profiles_one_down_the_others_still_answer(make_server, refused_url, tmp_path, monkeypatch):
    up = make_server()
    config = tmp_path / "config.toml"
    config.write_text(f'sources = ["up", "down"]\n[profiles.up]\nurl = "{up.url}"\nworkspace = "{up.workspace}"\n'
                      f'backend = "hoody"\n[profiles.down]\nurl = "{refused_url}"\nworkspace = "w"\nbackend = "hoody"\n')
    monkeypatch.setenv("HOODY_CONFIG", str(config))
    sid = up.call(up.state.create_session, "Up")["id"]
    gate = up.call(up.state.raise_permission, sid, "bash", ["ls"], [], {"command": "ls"})["id"]
    ran = hoody("pending", "--json")  # the file's sources, as none is named
    assert ran.code == 0
    assert [g["id"] for g in ran.json()] == [gate]
    assert ran.err.startswith("hoody-tui: down: ") and len(ran.err.strip().splitlines()) == 1
    # A gate that is not in what could be listed may be where we could not look: not "3".
    ran = hoody("approve", "per_unknown")
    assert ran.code == 1 and "down could not be" in ran.err
    assert hoody("approve", gate).code == 0


def test_flags_that_name_one_server_do_not_go_with_several_profiles(make_server, tmp_path, monkeypatch):
    _two_profiles(tmp_path, monkeypatch, [make_server(), make_server()])
    ran = hoody("pending", "--all-profiles", "--url", "http://127.0.0.1:1")
    assert ran.code == 2 and "--url name one server" in ran.err
    ran = hoody("pending", "--profile", "nope")
    assert ran.code == 2 and "no profile 'nope'" in ran.err and "work" in ran.err
    from hoody_tui.cli import build_parser, resolve_targets

    targets = resolve_targets(build_parser().parse_args(["--profile", "work", "--profile", "home", "--profile", "work"]))
    assert [t.name for t in targets] == ["work", "home"]  # the dashboard opens both (a name given twice: once)
