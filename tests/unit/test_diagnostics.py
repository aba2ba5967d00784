"""Logs and crash reports never hold the token."""

from __future__ import annotations

import logging

from hoody_tui.diagnostics import Redactor, setup_log_file, write_crash_report

TOKEN = "tok_live_abcdef123456"


def test_redactor_removes_the_token_and_bearer_credentials():
    redact = Redactor(TOKEN)
    text = redact(f"url with {TOKEN} and header Authorization: Bearer other-secret-value")
    assert TOKEN not in text and "other-secret-value" not in text
    assert text.count("<redacted>") == 2
    basic = redact("Authorization: Basic b3BlbmNvZGU6cHc= sent")
    assert "b3BlbmNvZGU6cHc=" not in basic and "Basic <redacted>" in basic


def test_log_file_is_redacted(tmp_path):
    path = tmp_path / "debug.log"
    handler = setup_log_file(path, Redactor(TOKEN))
    try:
        logging.getLogger("hoody_tui.test").warning("sending %s", f"Bearer {TOKEN}")
        try:
            raise ValueError(f"boom {TOKEN}")
        except ValueError:
            logging.getLogger("hoody_tui.test").exception("failed")
    finally:
        logging.getLogger("hoody_tui").removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert "sending Bearer <redacted>" in text and "boom <redacted>" in text and TOKEN not in text


def test_crash_report_is_redacted_and_private(tmp_path):
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError as exc:
        path = write_crash_report(exc, Redactor(TOKEN), tmp_path)
    assert path is not None and TOKEN not in path.read_text() and "RuntimeError" in path.read_text()
    assert path.stat().st_mode & 0o077 == 0


def test_log_file_is_bounded_however_much_is_logged(tmp_path):
    from hoody_tui.diagnostics import LOG_MAX_BYTES

    path = tmp_path / "debug.log"
    handler = setup_log_file(path, Redactor(TOKEN))
    line = "x" * 4000
    try:
        for _ in range((4 * LOG_MAX_BYTES) // len(line)):  # four times what one file holds
            logging.getLogger("hoody_tui.test").debug(line)
    finally:
        logging.getLogger("hoody_tui").removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["debug.log", "debug.log.1", "debug.log.2"]  # two old files kept, no more
    assert all((tmp_path / name).stat().st_size <= LOG_MAX_BYTES for name in files)


def test_a_crash_in_a_worker_reports_the_workers_own_traceback(tmp_path):
    from textual.worker import WorkerFailed

    def deep_in_the_worker():
        raise RuntimeError("Event loop is closed")

    try:
        deep_in_the_worker()
    except RuntimeError as exc:
        failed = WorkerFailed(exc)
    path = write_crash_report(failed, Redactor(None), tmp_path)
    text = path.read_text()
    assert "WorkerFailed" in text and "deep_in_the_worker" in text and "Event loop is closed" in text
