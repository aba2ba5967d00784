"""Every documented error body becomes one readable exception (contract C6)."""

from __future__ import annotations

import pytest

from hoody_tui.api import (
    ApiError,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ServerError,
    Unauthorized,
    error_from_response,
)


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message"),
    [
        (404, {"name": "NotFoundError", "data": {"message": "Session not found"}}, NotFound, "NotFoundError", "Session not found"),
        (400, {"data": {}, "errors": [{"field": "iters", "message": "Must be between 1 and 100"}], "success": False},
         Invalid, None, "iters: Must be between 1 and 100"),
        (409, {"error": "A loop is already active on this session", "code": "loop_already_active"},
         Conflict, "loop_already_active", "A loop is already active on this session"),
        (404, {"error": "Job not found", "message": "No job with id job_1 in this session"},
         NotFound, None, "No job with id job_1 in this session"),
        (404, {"error": {"code": "NOT_FOUND", "message": "Resource not found"}}, NotFound, "NOT_FOUND", "Resource not found"),
        (410, {"error": "Tool factory no longer registered", "message": "Cannot retry"}, Gone, None, "Cannot retry"),
        (401, {"name": "UnauthorizedError", "data": {"message": "Missing or invalid bearer token"}},
         Unauthorized, "UnauthorizedError", "Missing or invalid bearer token"),
        (403, None, Forbidden, None, "The token may not do this"),
        (500, {"name": "UnknownError", "data": {"message": "db down"}}, ServerError, "UnknownError", "db down"),
        (502, None, ServerError, None, "The server failed (HTTP 502)"),
        (418, {}, ApiError, None, "HTTP 418"),
        (409, {"error": "stale", "code": "stale_gate", "is_error": True}, Conflict, "stale_gate", "stale"),
    ],
)
def test_error_shapes(status, body, cls, code, message):
    err = error_from_response(status, body)
    assert type(err) is cls
    assert err.status == status and err.code == code
    assert str(err) == message
    assert err.raw == body


def test_field_errors_are_kept_and_context_reads_well():
    err = error_from_response(
        400,
        {"data": {}, "errors": [{"field": "prompt", "message": "Required"}, {"field": "iters", "message": "Too big"}], "success": False},
        context="starting a loop on session sess_1",
    )
    assert [(f.field, f.message) for f in err.field_errors] == [("prompt", "Required"), ("iters", "Too big")]
    assert str(err) == "starting a loop on session sess_1: prompt: Required; iters: Too big"


def test_plain_text_body_is_used_when_short():
    assert str(error_from_response(502, None, fallback_text="Bad Gateway")) == "Bad Gateway"
    long_html = "<html>" + "x" * 1000
    assert str(error_from_response(502, None, fallback_text=long_html)) == "The server failed (HTTP 502)"
