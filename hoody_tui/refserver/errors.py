"""Error replies in the contract's shapes (C6), or the unified alternative shape.

Route code raises :class:`ApiError`; the app renders it with :func:`error_body`, which
picks the documented body for the error's kind, or ``{"error":{"code","message"}}``
when the server runs with ``alt_shapes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiError", "error_body"]


@dataclass(eq=False)
class ApiError(Exception):
    """An error reply. ``kind`` picks the documented body:

    - ``named``: ``{"name", "data": {"message"}}`` (404, 401, 500);
    - ``validation``: ``{"data": {}, "errors": [{"field","message"}], "success": false}``;
    - ``coded``: ``{"error": message, "code"}`` (409 loop/busy conflicts);
    - ``job``: ``{"error": title, "message"}`` (job retry errors).
    """

    status: int
    kind: str
    message: str
    name: str = "UnknownError"
    code: str = "INTERNAL_ERROR"
    title: str = ""
    fields: list[dict[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    # --- constructors ------------------------------------------------------------------

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, "named", message, name="NotFoundError", code="NOT_FOUND")

    @classmethod
    def unauthorized(cls, message: str = "Missing or invalid bearer token") -> ApiError:
        return cls(401, "named", message, name="UnauthorizedError", code="UNAUTHORIZED")

    @classmethod
    def forbidden(cls, message: str = "This token may not access this workspace") -> ApiError:
        return cls(403, "named", message, name="ForbiddenError", code="FORBIDDEN")

    @classmethod
    def injected(cls, status: int, path: str, code: str | None = None) -> ApiError:
        """The error a ``fail_routes`` fault answers with, in the shape its status has."""
        if status == 401:
            return cls.unauthorized()
        if status == 403:
            return cls.forbidden()
        if status == 404:
            return cls.not_found(f"Injected not-found for {path}")
        if status == 409:
            return cls.conflict(f"Injected conflict for {path}", code or "conflict")
        if status >= 500:
            return cls.unknown(f"Injected failure for {path}", status)
        return cls(status, "named", f"Injected error for {path}", name="HTTPError", code=code or "HTTP_ERROR")

    @classmethod
    def unknown(cls, message: str, status: int = 500) -> ApiError:
        return cls(status, "named", message, name="UnknownError", code="INTERNAL_ERROR")

    @classmethod
    def invalid(cls, *errors: tuple[str, str]) -> ApiError:
        """400 with field errors: ``ApiError.invalid(("iters", "Must be between 1 and 100"))``."""
        items = [{"field": f, "message": m} for f, m in errors]
        summary = "; ".join(f"{f}: {m}" for f, m in errors)
        return cls(400, "validation", summary, code="VALIDATION_ERROR", fields=items)

    @classmethod
    def conflict(cls, message: str, code: str) -> ApiError:
        """409 ``{"error": message, "code": code}``."""
        return cls(409, "coded", message, code=code)

    @classmethod
    def job(cls, status: int, title: str, message: str, code: str) -> ApiError:
        """A job-route error ``{"error": title, "message": message}``."""
        return cls(status, "job", message, title=title, code=code)


def error_body(error: ApiError, *, alt_shapes: bool) -> dict[str, Any]:
    """The JSON body for ``error``."""
    if alt_shapes:
        message = error.title if error.kind == "job" and not error.message else error.message
        return {"error": {"code": error.code.upper(), "message": message}}
    if error.kind == "validation":
        return {"data": {}, "errors": error.fields, "success": False}
    if error.kind == "coded":
        return {"error": error.message, "code": error.code}
    if error.kind == "job":
        return {"error": error.title, "message": error.message}
    return {"name": error.name, "data": {"message": error.message}}
