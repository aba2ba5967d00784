"""Each tab's dashboard lives exactly as long as its tab and the server: closing the tab
ends it (``open_tab``), stopping the server ends them all (the ``serve`` fixture checks
it after every test), and so does a server killed outright; a dashboard that cannot
start closes its tab, and says why on the server's output."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import WSMsgType

from .helpers import DEADLINE, children, wait_until


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2:].split()[0] == "Z"


def test_a_server_killed_outright_takes_its_dashboards_with_it(make_server, serve):
    server = make_server()
    serving = serve("--url", server.url, "--workspace", server.workspace, "--backend", "hoody")
    parts = urlsplit(serving.url())

    async def kill_with_a_tab_open() -> list[int]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"ws://{parts.netloc}{parts.path}ws") as ws:
                await ws.receive(timeout=DEADLINE)
                tabs = children(serving.pid)
                os.kill(serving.pid, signal.SIGKILL)
                return tabs

    tabs = asyncio.run(kill_with_a_tab_open())
    assert len(tabs) == 1
    serving.proc.wait(DEADLINE)
    wait_until(lambda: all(_gone(pid) for pid in tabs), what="the dashboard to end with its killed server")


def test_a_dashboard_that_cannot_start_closes_its_tab_and_says_why(serve, refused_url):
    # No workspace and nobody answering: the dashboard cannot tell what server this is
    # and exits at once with one line.
    serving = serve("--url", refused_url, "--workspace", "")
    parts = urlsplit(serving.url())

    async def tab() -> list[WSMsgType]:
        seen = []
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"ws://{parts.netloc}{parts.path}ws") as ws:
                async for message in ws:
                    seen.append(message.type)
                seen.append(WSMsgType.CLOSED)
        return seen

    seen = asyncio.run(asyncio.wait_for(tab(), DEADLINE))
    assert seen[-1] == WSMsgType.CLOSED
    wait_until(lambda: not children(serving.pid), what="the dashboard to be gone")
    said = "hoody-tui serve: a tab's dashboard said: hoody-tui: the workspace API needs a workspace id"
    wait_until(lambda: said in "".join(serving.err), what="the dashboard's own error on stderr")
    assert "".join(serving.err).count(said) == 1 and len(serving.out) == 1  # said once; stdout holds the URL alone
    assert "Traceback" not in serving.output()
