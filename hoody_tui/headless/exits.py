"""The exit statuses of the headless commands, and the failures that end one.

Scripts branch on these, so they are part of the interface (``--help`` and the README
list them): 0 ok, 1 error, 2 usage, 3 gate not found or already decided, 4 the server
refused the credential, 5 timed out.
"""

from __future__ import annotations

from enum import IntEnum

from ..api.errors import Forbidden, HoodyError, Unauthorized

__all__ = ["Exit", "CommandFailed", "exit_for", "EXIT_STATUS_HELP"]


class Exit(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NO_GATE = 3
    """The gate is not pending: unknown, or already decided (here or elsewhere)."""
    UNAUTHORIZED = 4
    """The server refused the credential (401) or the action (403)."""
    TIMED_OUT = 5


EXIT_STATUS_HELP = """\
exit status:
  0  done (for pending --wait: a gate is pending)
  1  an error: the server is unreachable, failed, or answered something unreadable
  2  bad usage: an unknown option, a missing id, an answer the gate does not take
  3  no such gate pending: unknown, or already decided (here or elsewhere)
  4  the server refused the token or password (401), or the action (403)
  5  timed out (pending --wait --timeout)"""


class CommandFailed(Exception):
    """A command ends with ``code`` and one line for stderr."""

    def __init__(self, message: str, code: Exit = Exit.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def exit_for(error: HoodyError) -> Exit:
    """The exit status a failure of the server (or of reaching it) ends a command with."""
    if isinstance(error, Unauthorized | Forbidden):
        return Exit.UNAUTHORIZED
    return Exit.ERROR
