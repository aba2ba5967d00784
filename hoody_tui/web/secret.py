"""The secret in the printed URL: the only key to the served dashboard.

It is the first segment of every path (``/SECRET/``, ``/SECRET/ws``,
``/SECRET/static/...``) rather than a cookie: a cookie is sent to every port of the
same host, so any other server on 127.0.0.1 the browser visits would receive it; a path
is sent only to this one. It is fresh at every start (24 random bytes, 32 URL-safe
characters), compared in constant time, and never written to a log.
"""

from __future__ import annotations

import hmac
import secrets

__all__ = ["new_secret", "path_secret_matches", "MIN_LENGTH"]

MIN_LENGTH = 16


def new_secret() -> str:
    """A fresh random secret of 32 URL-safe characters (no percent-encoding needed)."""
    return secrets.token_urlsafe(24)


def path_secret_matches(raw_path: str, secret: str) -> bool:
    """Whether the first segment of ``raw_path`` (as sent, not decoded) is ``secret``.

    The comparison takes the same time wherever the first difference is, so the
    response time cannot be used to guess the secret one character at a time."""
    first = raw_path.removeprefix("/").split("/", 1)[0].split("?", 1)[0]
    return hmac.compare_digest(first.encode("utf-8", "surrogateescape"), secret.encode("utf-8"))
