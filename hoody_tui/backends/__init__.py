"""The kinds of agent server hoody-tui speaks to, and picking one for a URL.

Each kind lives in its own package and implements :class:`~hoody_tui.core.backend.Backend`.
Only the composition root (the command line, a test, a benchmark) imports this: the
workspace service and the App know the protocol, never a concrete backend.

``--backend auto`` (the default) asks each kind's health route in turn and takes the
first that answers: the workspace API's ``…/workspaces/health`` (under ``/api/v1`` and
``/api/v1/agent``), then the gateway's ``/api/v1/agent/health`` (the gateway mounts
under the same prefix, so the workspace API is asked first), then opencode's
``/global/health`` (which also answers 401 with a Basic challenge behind a password);
when none does (the server is down, or slow to start), it takes the hoody workspace API,
whose stream then says what is wrong and keeps retrying, as hoody-tui always did.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, replace

from ..api.errors import HoodyError
from ..core.backend import Backend

__all__ = ["KINDS", "NEEDS_WORKSPACE", "MissingWorkspace", "Connection", "create", "detect", "connect"]

log = logging.getLogger("hoody_tui.backends")

KINDS = ("auto", "hoody", "opencode", "gateway")
"""The values of ``--backend`` (and of a profile's ``backend``)."""

NEEDS_WORKSPACE = frozenset({"hoody"})
"""Kinds that cannot work without a workspace id (opencode's is an optional directory;
the gateway has none)."""


class MissingWorkspace(HoodyError):
    """The server is the workspace API, and no workspace id was given."""

PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class Connection:
    """What the command line and the profile say about one server."""

    url: str
    workspace: str = ""
    token: str | None = None
    insecure: bool = False
    api_prefix: str = "/api/v1"
    backend: str = "auto"
    label: str | None = None

    def __repr__(self) -> str:  # never show the token
        return (f"Connection(url={self.url!r}, workspace={self.workspace!r}, backend={self.backend!r}, "
                f"token={'set' if self.token else 'none'}, insecure={self.insecure}, api_prefix={self.api_prefix!r})")


def _opencode_username() -> str:
    """opencode's own variable for the Basic user (its default: ``opencode``)."""
    return os.environ.get("OPENCODE_SERVER_USERNAME") or "opencode"


def create(connection: Connection, kind: str | None = None) -> Backend:
    """The backend of ``kind`` (default: the connection's own, with ``auto`` as hoody) for
    ``connection``. Nothing is sent yet."""
    kind = kind or connection.backend
    if kind == "opencode":
        from .opencode import OpencodeBackend, OpencodeClient

        opencode = OpencodeClient(connection.url, connection.workspace, connection.token,
                                  username=_opencode_username(),
                                  verify=not connection.insecure)
        return OpencodeBackend(opencode, label=connection.label)
    if kind == "gateway":
        from .gateway import GatewayBackend, GatewayClient

        # The kit credential (C13): the token, and the claim ``$HOODY_CONTAINER_CLAIM`` names
        # (else the client's own name: the contract names the header, not its value).
        gateway = GatewayClient(connection.url, connection.token,
                                claim=os.environ.get("HOODY_CONTAINER_CLAIM", "").strip() or None,
                                verify=not connection.insecure)
        return GatewayBackend(gateway, label=connection.label)
    if kind in ("hoody", "auto"):
        if not connection.workspace:
            raise MissingWorkspace(
                "the workspace API needs a workspace id: set HOODY_WORKSPACE or --workspace (or a profile's workspace)")
        from .hoody import HoodyBackend, HoodyClient

        client = HoodyClient(connection.url, connection.workspace, connection.token,
                             api_prefix=connection.api_prefix, verify=not connection.insecure)
        return HoodyBackend(client, label=connection.label)
    raise ValueError(f"unknown backend {kind!r} (known: {', '.join(KINDS)})")


async def detect(connection: Connection) -> str:
    """The kind of server at ``connection.url``: each kind's health route is asked in turn."""
    from .hoody import HoodyClient
    from .hoody.backend import probe

    # Both prefixes (C1): the gateway sits under /api/v1/agent too, so the workspace API
    # there must be found by its own health route before the gateway's is asked.
    client = HoodyClient(connection.url, connection.workspace or "-", connection.token, api_prefix="auto",
                         verify=not connection.insecure, timeout=PROBE_TIMEOUT, connect_timeout=PROBE_TIMEOUT,
                         get_retries=0)
    async with client:
        if await probe(client):
            return "hoody"
    from .gateway import GatewayClient
    from .gateway import probe as probe_gateway

    gateway = GatewayClient(connection.url, verify=not connection.insecure, timeout=PROBE_TIMEOUT,
                            connect_timeout=PROBE_TIMEOUT, get_retries=0)
    async with gateway:
        if await probe_gateway(gateway):
            return "gateway"
    from .opencode import OpencodeClient
    from .opencode import probe as probe_opencode

    opencode = OpencodeClient(connection.url, connection.workspace, connection.token, verify=not connection.insecure,
                              username=_opencode_username(), timeout=PROBE_TIMEOUT, connect_timeout=PROBE_TIMEOUT, get_retries=0)
    async with opencode:
        if await probe_opencode(opencode):
            return "opencode"
    log.info("no backend's health route answered at %s; using the hoody workspace API", connection.url)
    return "hoody"


async def connect(connection: Connection) -> Backend:
    """The backend for ``connection``, probing the server first when its kind is ``auto``."""
    kind = connection.backend
    if kind == "auto":
        try:
            kind = await detect(connection)
        except HoodyError as exc:  # pragma: no cover - detect() turns failures into a default
            log.info("probing %s failed (%s); using the hoody workspace API", connection.url, exc)
            kind = "hoody"
    if kind == "opencode" and not connection.workspace:
        connection = replace(connection, workspace=await _server_directory(connection))
    return create(connection, kind)


async def _server_directory(connection: Connection) -> str:
    """The directory an opencode server serves, so the status bar and the audit log name
    it from the start (``""`` when it cannot say yet: the first listing asks again). A
    client of its own: this runs before the App's event loop, which a pooled connection
    must not outlive."""
    from .opencode import OpencodeClient

    client = OpencodeClient(connection.url, "", connection.token, verify=not connection.insecure,
                            username=_opencode_username(),
                            timeout=PROBE_TIMEOUT, connect_timeout=PROBE_TIMEOUT, get_retries=1)
    async with client:
        try:
            return await asyncio.wait_for(client.scope(), PROBE_TIMEOUT * 2)
        except (HoodyError, TimeoutError) as exc:
            log.info("could not read the opencode server's directory yet: %s", exc)
            return ""
