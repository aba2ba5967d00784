"""Options of the reference server (:class:`ServerConfig`) and its runtime faults (:class:`Faults`).

``ServerConfig`` is fixed when the server starts; ``Faults`` starts from the config's fault
fields and can be changed while the server runs (``RunningServer.set_faults`` or
``POST /_control/faults``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "ServerConfig",
    "Faults",
    "PREFIXES",
    "SCENARIOS",
    "HEARTBEAT_STYLES",
    "FLAVORS",
    "GATEWAY_AUTH",
    "derive_workspace_id",
]

PREFIXES: dict[str, tuple[str, ...]] = {
    "v1": ("/api/v1",),
    "agent": ("/api/v1/agent",),
    "both": ("/api/v1", "/api/v1/agent"),
}
"""``prefix`` option -> the route prefixes mounted (the first is the one printed)."""

SCENARIOS = ("demo", "idle", "none")
HEARTBEAT_STYLES = ("comment", "event", "typed")
FLAVORS = ("workspace", "gateway")
"""``workspace``: the workspace-scoped API (§1); ``gateway``: the in-container ``hoody-agent-d`` (§2)."""
GATEWAY_AUTH = ("none", "claim")
"""C13: ``none`` = network-position trust; ``claim`` = the ``X-Hoody-Container-Claim`` +
``X-Hoody-Token`` pair (the token is ``token``)."""


def derive_workspace_id(seed: int) -> str:
    """The default workspace id: 24 lowercase hex characters derived from the seed."""
    return hashlib.sha256(f"hoody-refserver:{seed}".encode()).hexdigest()[:24]


@dataclass
class ServerConfig:
    """Everything the reference server can be told at start-up.

    Times are seconds unless the name says ``_ms``. ``workspace`` is the workspace *id*
    (``None`` = a 24-hex id derived from ``seed``). ``clock`` overrides the time source
    (a callable returning epoch milliseconds); otherwise time starts at ``epoch_ms`` (or
    the real time) and advances in real time.
    """

    host: str = "127.0.0.1"
    port: int = 0
    workspace: str | None = None
    seed: int = 1
    speed: float = 1.0
    token: str | None = field(default=None, repr=False)
    prefix: str = "both"
    scenario: str = "demo"
    sessions: int = 5
    heartbeat_interval: float = 30.0
    heartbeat_style: str = "comment"
    event_ids: bool = False
    epoch_ms: int | None = None
    clock: Callable[[], int] | None = field(default=None, repr=False)
    alt_shapes: bool = False
    firehose: float = 0.0
    firehose_sessions: int = 1000
    control: bool = False
    subscriber_buffer: int = 20000
    # Faults (the initial values of :class:`Faults`).
    drop_after: int | None = None
    malformed_every: int | None = None
    malformed_once: bool = False
    fail_routes: list[str] = field(default_factory=list)
    fail_status: int = 500
    fail_code: str | None = None
    delay_ms: int = 0
    stall: bool = False
    hold_routes: list[str] = field(default_factory=list)
    truncate_once: bool = False
    pending_gates: int = 0
    """Permission requests open at start-up (in a session of their own), nobody waiting.
    The gateway flavour parks a confirm gate in each of the first N sessions instead."""
    flavor: str = "workspace"
    gateway_auth: str | None = None
    """Gateway flavour only: ``none``/``claim``; ``None`` = ``claim`` when a token is set."""

    @property
    def gateway_auth_mode(self) -> str:
        """The gateway's effective auth mode (C13)."""
        if self.gateway_auth is not None:
            return self.gateway_auth
        return "claim" if self.token else "none"

    @property
    def workspace_id(self) -> str:
        return self.workspace if self.workspace else derive_workspace_id(self.seed)

    @property
    def prefixes(self) -> tuple[str, ...]:
        return PREFIXES[self.prefix]

    def validate(self) -> None:
        """Raise ``ValueError`` with a one-line reason for the first bad option."""
        if self.prefix not in PREFIXES:
            raise ValueError(f"prefix must be one of {', '.join(PREFIXES)} (got {self.prefix!r})")
        if self.flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {', '.join(FLAVORS)} (got {self.flavor!r})")
        if self.gateway_auth is not None and self.gateway_auth not in GATEWAY_AUTH:
            raise ValueError(f"gateway auth must be one of {', '.join(GATEWAY_AUTH)} (got {self.gateway_auth!r})")
        if self.gateway_auth == "claim" and not self.token:
            raise ValueError("gateway auth 'claim' needs a token (--token-file or $HOODY_REFSERVER_TOKEN)")
        if self.scenario not in SCENARIOS:
            raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)} (got {self.scenario!r})")
        if self.heartbeat_style not in HEARTBEAT_STYLES:
            raise ValueError(
                f"heartbeat style must be one of {', '.join(HEARTBEAT_STYLES)} (got {self.heartbeat_style!r})"
            )
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535 (got {self.port})")
        if not self.speed > 0:
            raise ValueError(f"speed must be greater than 0 (got {self.speed})")
        if not self.heartbeat_interval > 0:
            raise ValueError(f"heartbeat interval must be greater than 0 (got {self.heartbeat_interval})")
        if self.pending_gates < 0:
            raise ValueError(f"pending gates must be 0 or more (got {self.pending_gates})")
        if self.sessions < 0:
            raise ValueError(f"sessions must be 0 or more (got {self.sessions})")
        if self.firehose < 0 or self.firehose_sessions < 1:
            raise ValueError("firehose rate must be 0 or more and firehose sessions at least 1")
        if self.subscriber_buffer < 1:
            raise ValueError("subscriber buffer must be at least 1")
        if self.workspace is not None and (not self.workspace or "/" in self.workspace):
            raise ValueError(f"workspace id must be a non-empty path segment (got {self.workspace!r})")
        if self.token is not None and not self.token.strip():
            raise ValueError("token must not be empty")
        Faults.from_config(self)  # validates the fault fields


@dataclass
class Faults:
    """Failures injected on purpose, for client tests. All off by default.

    - ``drop_after``: close each ``meta/events`` connection after N event frames
      (``server.connected`` counts).
    - ``malformed_every``: after every N event frames, send one frame of invalid JSON.
    - ``malformed_once``: send one invalid frame on the next write of any event stream.
    - ``fail_routes``: path regexes (``re.search``) answered with ``fail_status`` (500 by
      default; 401 and 403 in the auth errors' shape, 409 as ``{"error","code"}`` with
      ``fail_code``, any other status as a NamedError).
    - ``delay_ms``: delay every REST reply (streams are not delayed).
    - ``stall``: ``meta/events`` sends nothing at all, heartbeats included, until cleared.
    - ``hold_routes``: path regexes whose requests wait, unanswered, until the route is
      taken off the list (a reply that is "slow" for exactly as long as a test wants).
    - ``truncate_once``: the next event frame on ``meta/events`` is cut in the middle and
      that connection ends there (a stream dropped mid-event).
    """

    drop_after: int | None = None
    malformed_every: int | None = None
    malformed_once: bool = False
    fail_routes: list[str] = field(default_factory=list)
    fail_status: int = 500
    fail_code: str | None = None
    delay_ms: int = 0
    stall: bool = False
    hold_routes: list[str] = field(default_factory=list)
    truncate_once: bool = False
    _compiled: list[re.Pattern[str]] = field(default_factory=list, repr=False)
    _held: list[re.Pattern[str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.update(**{f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")})

    @classmethod
    def from_config(cls, config: ServerConfig) -> Faults:
        return cls(
            drop_after=config.drop_after, malformed_every=config.malformed_every,
            malformed_once=config.malformed_once, fail_routes=list(config.fail_routes),
            fail_status=config.fail_status, fail_code=config.fail_code,
            delay_ms=config.delay_ms, stall=config.stall, hold_routes=list(config.hold_routes),
            truncate_once=config.truncate_once,
        )

    def update(self, **changes: Any) -> None:
        """Validate and apply ``changes``; raise ``ValueError`` (nothing applied) on a bad one."""
        names = {f.name for f in fields(self) if not f.name.startswith("_")}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name in ("drop_after", "malformed_every"):
                if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                    raise ValueError(f"{name} must be a positive integer or null (got {value!r})")
            elif name in ("malformed_once", "stall", "truncate_once"):
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false (got {value!r})")
            elif name == "delay_ms":
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"delay_ms must be a number >= 0 (got {value!r})")
            elif name == "fail_status":
                if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
                    raise ValueError(f"fail_status must be an HTTP error status, 400-599 (got {value!r})")
            elif name == "fail_code":
                if value is not None and (not isinstance(value, str) or not value):
                    raise ValueError(f"fail_code must be a non-empty string or null (got {value!r})")
            elif name in ("fail_routes", "hold_routes"):
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{name} must be a list of regular expressions")
                try:
                    compiled = [re.compile(v) for v in value]
                except re.error as exc:
                    raise ValueError(f"bad {name} regex: {exc}") from None
                checked["_compiled" if name == "fail_routes" else "_held"] = compiled
                value = list(value)
            checked[name] = value
        for name, value in checked.items():
            setattr(self, name, value)

    def fails(self, path: str) -> bool:
        """True if a ``fail_routes`` regex matches ``path``."""
        return any(p.search(path) for p in self._compiled)

    def holds(self, path: str) -> bool:
        """True while a ``hold_routes`` regex matches ``path``."""
        return any(p.search(path) for p in self._held)

    def take_truncate_once(self) -> bool:
        """Consume the one-shot ``truncate_once`` flag."""
        if self.truncate_once:
            self.truncate_once = False
            return True
        return False

    def take_malformed_once(self) -> bool:
        """Consume the one-shot ``malformed_once`` flag."""
        if self.malformed_once:
            self.malformed_once = False
            return True
        return False

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
