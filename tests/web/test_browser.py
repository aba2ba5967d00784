"""The dashboard in a real browser: Debian's Chromium, driven by playwright, loads the
URL ``hoody-tui serve`` printed, sees the sessions view, and decides a gate with the
keyboard (``4``, then ``y``); the reference server receives exactly that reply. The
screen is a phone's (about 60x30 cells). Without the secret the page is refused.

The terminal's text is read from xterm's buffer (``xterm_hook.js``)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ..integration.helpers import replies
from .helpers import DEADLINE, children, wait_until

TOKEN = "browser-token-s3cr3t"
HOOK = (Path(__file__).parent / "xterm_hook.js").read_text()
PHONE = {"width": 550, "height": 645}
"""About 60x30 cells at the page's 16 px font."""
REFUSED = "The gate on screen just changed"


class Tab:
    """One browser tab on the served dashboard."""

    def __init__(self, page) -> None:
        self.page = page

    def screen(self) -> str:
        return str(self.page.evaluate("window.__screen ? window.__screen() : ''"))

    def wait_for(self, text: str, timeout: float = DEADLINE) -> str:
        wait_until(lambda: text in self.screen(), timeout=timeout, what=f"{text!r} in the page; it shows:\n{self.screen()}")
        return self.screen()

    def press(self, key: str) -> None:
        self.page.focus(".xterm-helper-textarea")  # the terminal's keyboard input, as a click on it would
        self.page.keyboard.press(key)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.add_init_script(HOOK)
    yield page
    context.close()


def test_a_gate_is_decided_from_the_browser(make_server, serve, page):
    server = make_server(token=TOKEN)
    session = server.call(server.state.create_session, "Fix the login bug")
    serving = serve("--url", server.url, "--workspace", server.workspace, "--backend", "hoody",
                    env={"HOODY_TOKEN": TOKEN})
    url = serving.url()

    response = page.goto(url)
    assert response is not None and response.status == 200
    tab = Tab(page)
    shown = tab.wait_for("Fix the login bug")  # the sessions view, listed from the server
    assert "Sessions" in shown
    cols, rows = page.evaluate("window.__size()")
    assert cols < 80 and rows <= 40, (cols, rows)  # a phone's screen, not a desktop's
    assert len(children(serving.pid)) == 1  # this tab's dashboard

    server.call(server.state.raise_permission, session["id"], "bash", ["rm -rf build/"],
                metadata={"command": "rm -rf build/"})
    tab.wait_for("gates 1")
    tab.press("4")
    tab.wait_for("rm -rf build/")  # the gate, on screen in the page
    gate = server.call(server.state.pending_permissions)[0]["id"]

    # The dashboard refuses a key that lands within 0.35 s of the gate appearing (and
    # says so): press again after such a refusal, until the reply is there.
    end = time.monotonic() + DEADLINE
    while not replies(server):
        assert time.monotonic() < end, f"no reply reached the server; the page shows:\n{tab.screen()}"
        tab.press("y")
        wait_until(lambda: replies(server) or REFUSED in tab.screen(), what="the reply, or the settle refusal")
        if not replies(server):
            wait_until(lambda: replies(server) or REFUSED not in tab.screen(), what="the refusal to clear")
    wait_until(lambda: not server.call(server.state.pending_permissions), what="the gate to be decided")
    assert [(r["requestID"], r["body"]) for r in replies(server)] == [(gate, {"reply": "once"})]
    tab.wait_for("gates 0")

    html = page.content()
    assert TOKEN not in html and TOKEN not in tab.screen()


def test_the_page_without_the_secret_is_refused(make_server, serve, page):
    server = make_server()
    serving = serve("--url", server.url, "--workspace", server.workspace, "--backend", "hoody")
    url = serving.url()
    parts = urlsplit(url)
    secret = parts.path.strip("/")
    for wrong in (f"http://{parts.netloc}/", f"http://{parts.netloc}/{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}/"):
        response = page.goto(wrong)
        assert response is not None and response.status == 403
        assert "private" in page.content()
    assert children(serving.pid) == []
