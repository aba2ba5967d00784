"""Gateway error replies: every error is ``{"error": message, "code": code}`` (§2, C6).

Route code raises the shared :class:`~..errors.ApiError` (kind ``coded``) through
:func:`gw_error`; :func:`gateway_body` renders any ``ApiError`` (an injected fault, the
guard's 401, an uncaught exception) in the gateway's shape.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError

__all__ = ["gw_error", "gateway_body", "invalid", "not_found", "conflict"]

_CODES_BY_STATUS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                    409: "conflict", 503: "store_unavailable"}


def gw_error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, "coded", message, code=code)


def invalid(message: str, code: str = "invalid_request") -> ApiError:
    """400 ``invalid_request`` (or ``code``)."""
    return gw_error(400, code, message)


def not_found(code: str, message: str) -> ApiError:
    return gw_error(404, code, message)


def conflict(code: str, message: str) -> ApiError:
    return gw_error(409, code, message)


def gateway_body(error: ApiError) -> dict[str, Any]:
    """``{"error", "code"}`` for any :class:`ApiError`."""
    if error.kind == "coded":
        return {"error": error.message, "code": error.code}
    if error.status == 401:
        return {"error": "Missing or invalid kit credential (X-Hoody-Container-Claim + X-Hoody-Token)",
                "code": "unauthorized"}
    code = _CODES_BY_STATUS.get(error.status) or ("internal_error" if error.status >= 500 else "http_error")
    return {"error": error.message, "code": code}
