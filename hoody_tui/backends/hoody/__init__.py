"""The hoody workspace API: its client, its streams, its listing, and its Backend."""

from .backend import CAPABILITIES, HoodyBackend
from .client import DEFAULT_PREFIX, PREFIXES, HoodyClient

__all__ = ["CAPABILITIES", "DEFAULT_PREFIX", "PREFIXES", "HoodyBackend", "HoodyClient"]
