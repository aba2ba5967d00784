"""One exception hierarchy for everything that can go wrong talking to the server.

Every documented error body (contract C6) is read by :func:`error_from_response`
into an :class:`ApiError` subclass picked by status code. A raw httpx or pydantic
exception never reaches a caller of the client: transport failures become
:class:`Unreachable` / :class:`RequestTimeout`, unreadable bodies :class:`PayloadError`.
Messages are written for a person, and never contain the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "HoodyError",
    "FieldError",
    "ApiError",
    "Invalid",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "Gone",
    "ServerError",
    "TransportError",
    "Unreachable",
    "RequestTimeout",
    "PayloadError",
    "error_from_response",
    "normalise_error_body",
]


class HoodyError(Exception):
    """Base of every error the client raises. ``str(err)`` is a sentence for a person."""

    def __init__(self, message: str, *, context: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return f"{self.context}: {self.message}" if self.context else self.message


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ApiError(HoodyError):
    """The server answered with an error status."""

    status: int = 0

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        field_errors: tuple[FieldError, ...] = (),
        raw: Any = None,
        context: str | None = None,
    ) -> None:
        super().__init__(message, context=context)
        self.status = status
        self.code = code
        self.field_errors = field_errors
        self.raw = raw

    def __str__(self) -> str:
        text = self.message
        if self.field_errors:
            text = "; ".join(str(f) for f in self.field_errors)
        return f"{self.context}: {text}" if self.context else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"


class Invalid(ApiError):
    """400/422: the request was refused; ``field_errors`` says which field and why."""


class Unauthorized(ApiError):
    """401: the token is missing or was rejected. Retrying will not help."""


class Forbidden(ApiError):
    """403: the token is valid but may not do this."""


class NotFound(ApiError):
    """404: the thing is gone (for a gate: it was answered elsewhere)."""


class Conflict(ApiError):
    """409: refused in the current state; ``code`` says why (e.g. ``loop_already_active``)."""


class Gone(ApiError):
    """410: no longer possible (e.g. the tool that made a job is no longer registered)."""


class ServerError(ApiError):
    """5xx: the server failed."""


class TransportError(HoodyError):
    """No HTTP answer at all."""


class Unreachable(TransportError):
    """The server could not be reached (refused, DNS, TLS, connection dropped)."""


class RequestTimeout(TransportError):
    """The server did not answer in time."""


class PayloadError(HoodyError):
    """The server answered 2xx with a body that is not JSON or not the documented shape."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: Invalid,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
}

_GENERIC = {
    400: "The server refused the request as invalid",
    401: "The token was rejected (set HOODY_TOKEN or use --token-file)",
    403: "The token may not do this",
    404: "Not found",
    409: "Refused in the current state",
    410: "No longer available",
    422: "The server refused the request as invalid",
}


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def normalise_error_body(body: Any) -> tuple[str | None, str | None, tuple[FieldError, ...]]:
    """Read any documented error body into ``(code, message, field_errors)``.

    Forms (C6): NamedError ``{name, data:{message}}``; validation
    ``{data, errors:[{field, message}], success:false}``; ``{error: str, code}``;
    ``{error: str, message}``; ``{error: {code, message}}``; gateway ``{error, code}``.
    """
    if isinstance(body, str):
        return None, _text(body), ()
    if not isinstance(body, dict):
        return None, None, ()
    code: str | None = None
    message: str | None = None
    error = body.get("error")
    if isinstance(error, dict):
        code = _text(error.get("code")) or _text(error.get("name"))
        message = _text(error.get("message"))
    if code is None:
        code = _text(body.get("code")) or _text(body.get("name"))
    data = body.get("data")
    if message is None and isinstance(data, dict):
        message = _text(data.get("message"))
    if message is None:
        # {error: "Job not found", message: "No job with id …"}: the longer text explains.
        message = _text(body.get("message")) or _text(error)
    fields: list[FieldError] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                name = str(item.get("field") or item.get("path") or "")
                text = _text(item.get("message")) or "invalid"
                fields.append(FieldError(name, text))
            elif isinstance(item, str):
                fields.append(FieldError("", item))
    return code, message, tuple(fields)


def error_from_response(
    status: int, body: Any, *, context: str | None = None, fallback_text: str | None = None
) -> ApiError:
    """Build the right :class:`ApiError` subclass for an error response."""
    code, message, fields = normalise_error_body(body)
    if message is None and fields:
        message = "; ".join(str(f) for f in fields)
    if message is None:
        message = _text(fallback_text) if fallback_text and len(fallback_text) < 300 else None
    if message is None:
        message = _GENERIC.get(status) or (
            f"The server failed (HTTP {status})" if status >= 500 else f"HTTP {status}"
        )
    if status >= 500:
        cls: type[ApiError] = ServerError
    else:
        cls = _BY_STATUS.get(status, ApiError)
    return cls(message, status=status, code=code, field_errors=fields, raw=body, context=context)
