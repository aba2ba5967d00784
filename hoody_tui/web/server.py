"""The web server: textual-serve's page, websocket and one dashboard process per tab,
behind a guard that lets nothing through without the URL's secret.

Every request passes :func:`_guard` first, whatever its path or method: without the
secret as the first segment of the path it is answered 403 before any handler runs, so it
can start no dashboard and reach none. With it, the routes are the page
(``/SECRET/``), its websocket (``/SECRET/ws``: one dashboard process while it is open)
and textual-serve's static files (``/SECRET/static/...``). There is no access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.download_manager import DownloadManager

from .command import ChildCommand
from .secret import path_secret_matches
from .tabs import STOP_DEADLINE, Tab, Tabs

__all__ = ["build_app", "run_server", "MAX_TABS", "REFUSED"]

MAX_TABS = 32
"""Dashboards at once: a reload loop or a forgotten pile of tabs cannot fork without end."""

REFUSED = ("403 Forbidden: this hoody-tui dashboard is private. Open the URL that `hoody-tui serve` printed: "
           "it carries the secret.\n")

_PAGE = Path(__file__).with_name("page.html")
_STATIC = Path(textual_serve.__file__).resolve().parent / "static"
_HEADERS = {
    # The secret is in the page's path: never send it on as a Referer, never cache the
    # page, never let another site frame it.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


@dataclass
class _Served:
    """What the handlers share: the tab command, the dashboards running, the open
    websockets (closed when the server stops)."""

    command: ChildCommand
    tabs: Tabs
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    downloads: DownloadManager = field(default_factory=DownloadManager)


_SERVED = web.AppKey("served", _Served)


def build_app(secret: str, command: ChildCommand, tabs: Tabs | None = None) -> web.Application:
    """The aiohttp application serving ``command`` (one process per tab) to whoever has
    ``secret``."""

    @web.middleware
    async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if not path_secret_matches(request.raw_path, secret):
            return web.Response(status=403, text=REFUSED)
        response: web.StreamResponse = await handler(request)
        return response

    app = web.Application(middlewares=[_guard], client_max_size=64 * 1024)
    app[_SERVED] = _Served(command, tabs or Tabs())
    app.router.add_get("/{key}", _add_slash)
    app.router.add_get("/{key}/", _page)
    app.router.add_get("/{key}/ws", _websocket)
    app.router.add_get("/{key}/static/{path:.+}", _static)
    app.on_response_prepare.append(_headers)
    app.on_shutdown.append(_close_tabs)
    return app


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(_HEADERS)
    response.headers.pop("Server", None)


async def _add_slash(request: web.Request) -> web.StreamResponse:
    """``/SECRET`` → ``/SECRET/``: the page's relative URLs need the slash."""
    location = request.raw_path.split("?", 1)[0] + "/"
    raise web.HTTPFound(f"{location}?{request.query_string}" if request.query_string else location)


async def _page(request: web.Request) -> web.StreamResponse:
    return web.Response(body=_PAGE.read_bytes(), content_type="text/html", charset="utf-8")


async def _static(request: web.Request) -> web.StreamResponse:
    """textual-serve's script, stylesheet and fonts; nothing outside their folder."""
    target = (_STATIC / request.match_info["path"]).resolve()
    if not target.is_relative_to(_STATIC) or not target.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(target)


def _cells(value: object, default: int) -> int:
    """A terminal size from the browser, kept sane (1 to 1000 cells)."""
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, 1), 1000)


async def _websocket(request: web.Request) -> web.StreamResponse:
    """One dashboard process for as long as this websocket (this tab) is open."""
    served = request.app[_SERVED]
    tabs, sockets = served.tabs, served.sockets
    if len(tabs.running) >= MAX_TABS:
        raise web.HTTPServiceUnavailable(text=f"503: {MAX_TABS} dashboards are open already; close a tab first.\n")
    websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=1024 * 1024)
    await websocket.prepare(request)
    sockets.add(websocket)
    tab = Tab(served.command, tabs, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
              close=websocket.close, download_manager=served.downloads)
    try:
        await tab.start(_cells(request.query.get("width"), 80), _cells(request.query.get("height"), 24))
        await _relay(websocket, tab)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        sockets.discard(websocket)
        await asyncio.shield(tab.stop())
        with contextlib.suppress(Exception):
            await websocket.close()
    return websocket


async def _relay(websocket: web.WebSocketResponse, tab: Tab) -> None:
    """The browser's messages to the dashboard: keys, size, focus; anything malformed
    is dropped."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope:
            continue
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            await tab.send_bytes(data.encode("utf-8", "replace"))
        elif kind == "resize" and isinstance(data, dict):
            await tab.set_terminal_size(_cells(data.get("width"), 80), _cells(data.get("height"), 24))
        elif kind == "ping" and isinstance(data, str):
            await websocket.send_json(["pong", data[:64]])
        elif kind == "blur":
            await tab.blur()
        elif kind == "focus":
            await tab.focus()


async def _close_tabs(app: web.Application) -> None:
    """On shutdown: close every tab's websocket, and stop every dashboard."""
    served = app[_SERVED]
    for websocket in list(served.sockets):
        with contextlib.suppress(Exception):
            await websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
    await served.tabs.stop_all()


async def run_server(sock: socket.socket, app: web.Application, stop: asyncio.Event,
                     on_ready: Callable[[], None] = lambda: None) -> None:
    """Serve ``app`` on the listening ``sock`` until ``stop`` is set (``on_ready`` once it
    serves); then close the tabs and make sure no dashboard outlives the server."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock, shutdown_timeout=STOP_DEADLINE).start()
        on_ready()
        await stop.wait()
    finally:
        await runner.cleanup()
        app[_SERVED].tabs.kill_all()
