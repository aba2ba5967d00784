"""The in-container agent gateway ``hoody-agent-d`` (contract §2) as a backend: see :mod:`.backend`."""

from .backend import CAPABILITIES, GatewayBackend, GatewayUnsupported, probe
from .client import GatewayClient

__all__ = ["GatewayBackend", "GatewayClient", "GatewayUnsupported", "CAPABILITIES", "probe"]
