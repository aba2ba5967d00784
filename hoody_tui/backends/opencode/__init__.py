"""A real ``opencode serve`` (npm ``opencode-ai``) as a backend: see :mod:`.backend`."""

from .backend import CAPABILITIES, OpencodeBackend, probe
from .client import OpencodeClient

__all__ = ["OpencodeBackend", "OpencodeClient", "CAPABILITIES", "probe"]
