"""The composition root: a backend for a server, and the App over it.

The App and the workspace service know only the Backend protocol; this is where a
concrete one is picked and handed to them (the command line, the tests, the benchmark
and the screenshot script all start the app through here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backends import Connection
    from .backends.hoody import HoodyClient
    from .ui.app import HoodyApp

__all__ = ["hoody_app", "app_for", "inbox_app"]


def app_for(
    connection: Connection,
    *,
    clock: Callable[[], float] = time.time,
    start_worker: bool = True,
    app_class: type[HoodyApp] | None = None,
    **options: Any,
) -> HoodyApp:
    """The app over the server ``connection`` names, of the kind it names (not ``auto``:
    nothing is sent yet); ``options`` are :class:`~hoody_tui.ui.app.AppOptions` fields."""
    from .backends import create
    from .ui.app import AppOptions, HoodyApp

    backend = create(connection)
    cls = app_class or HoodyApp
    options.setdefault("secrets", (connection.token,) if connection.token else ())
    return cls(AppOptions(insecure=connection.insecure, **options), backend=backend, clock=clock,
               start_worker=start_worker)


def hoody_app(
    url: str,
    workspace: str,
    *,
    token: str | None = None,
    api_prefix: str = "/api/v1",
    insecure: bool = False,
    client: HoodyClient | None = None,
    clock: Callable[[], float] = time.time,
    start_worker: bool = True,
    app_class: type[HoodyApp] | None = None,
    **options: Any,
) -> HoodyApp:
    """The app over the hoody workspace API at ``url``/``workspace`` (or over ``client``);
    ``options`` are :class:`~hoody_tui.ui.app.AppOptions` fields."""
    from .backends import Connection, create
    from .backends.hoody import HoodyBackend
    from .ui.app import AppOptions, HoodyApp

    backend = HoodyBackend(client) if client else create(Connection(url, workspace, token, insecure, api_prefix, "hoody"))
    cls = app_class or HoodyApp
    options.setdefault("secrets", (token,) if token else ())
    return cls(AppOptions(insecure=insecure, **options), backend=backend, clock=clock, start_worker=start_worker)


def inbox_app(
    connections: Sequence[Connection],
    *,
    clock: Callable[[], float] = time.time,
    start_worker: bool = True,
    app_class: type[HoodyApp] | None = None,
    audit_log: Path | None = None,
    **options: Any,
) -> HoodyApp:
    """One app over several servers (one source each, named by its connection's
    ``label``), each of the kind its connection names (``auto`` as hoody: nothing is sent
    yet); ``options`` are :class:`~hoody_tui.ui.app.AppOptions` fields."""
    from .backends import create
    from .core.inbox import Inbox
    from .core.service import WorkspaceService
    from .gates.audit import AuditLog
    from .ui.app import AppOptions, HoodyApp

    audit = AuditLog(audit_log)
    services = []
    for connection in connections:
        name = connection.label or connection.url
        services.append((name, WorkspaceService(create(connection), audit=audit, clock=clock, source=name)))
    cls = app_class or HoodyApp
    options.setdefault("secrets", tuple(c.token for c in connections if c.token))
    return cls(AppOptions(insecure=any(c.insecure for c in connections), audit_log=audit_log, **options),
               inbox=Inbox(services), clock=clock, start_worker=start_worker)
