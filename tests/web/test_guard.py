"""Private by default, over real sockets: nothing without the URL's secret (page,
websocket, static files, any path or method) gets anything but 403, and no websocket
without it starts a dashboard process; the server's token reaches each tab's dashboard
through its environment, never its arguments, the page or the output."""

from __future__ import annotations

import asyncio
import http.client
import re
from urllib.parse import urlsplit

import aiohttp
import pytest

from .helpers import children, open_tab

TOKEN = "web-token-s3cr3t-value"
URL_SHAPE = re.compile(r"^http://127\.0\.0\.1:(\d+)/([A-Za-z0-9_-]{16,})/$")


def _request(url: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _websocket_status(url: str) -> int:
    """Open a websocket at ``url``: the handshake's refusal status, or 101 if it opened."""

    async def attempt() -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
                    await ws.close()
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    return asyncio.run(attempt())


@pytest.fixture
def served(make_server, serve):
    server = make_server(token=TOKEN)
    serving = serve("--url", server.url, "--workspace", server.workspace, "--backend", "hoody",
                    env={"HOODY_TOKEN": TOKEN})
    url = serving.url()
    return server, serving, url


def test_it_prints_one_url_with_a_fresh_secret_in_its_path(served, serve, make_server):
    _, serving, url = served
    match = URL_SHAPE.match(url)
    assert match, url
    serving.said("Ctrl-C stops")
    assert len([word for word in serving.output().split() if "http" in word]) == 1
    other = serve("--demo").url()
    assert URL_SHAPE.match(other).group(2) != match.group(2)  # fresh at every start


def test_the_url_answers_200_with_the_page_and_nothing_secret_in_it(served):
    _, _, url = served
    status, headers, body = _request(url, urlsplit(url).path)
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    assert "textual-terminal" in page and "static/js/textual.js" in page
    secret = urlsplit(url).path.strip("/")
    assert TOKEN not in page and secret not in page  # its URLs are relative: the page names no secret
    assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
    assert "server" not in headers
    status, _, _ = _request(url, f"{urlsplit(url).path}static/js/textual.js")
    assert status == 200


@pytest.mark.parametrize("path", [
    "/", "/ws", "/static/js/textual.js", "/favicon.ico", "/download/x", "/{wrong}/", "/{wrong}/ws",
    "/{short}/", "/{longer}/", "/{upper}/", "//{secret}/", "/%2F{secret}/", "/x/{secret}/",
])
def test_anything_without_the_secret_is_refused(served, path):
    _, serving, url = served
    secret = urlsplit(url).path.strip("/")
    wrong = ("A" if secret[0] != "A" else "B") + secret[1:]
    path = path.format(wrong=wrong, short=secret[:-1], longer=secret + "x", upper=secret.swapcase(), secret=secret)
    for method in ("GET", "HEAD", "POST"):
        status, _, body = _request(url, path, method)
        assert status == 403, (method, path, status)
        assert method == "HEAD" or b"private" in body
    assert children(serving.pid) == []


def test_no_path_escapes_the_static_folder(served):
    _, _, url = served
    base = urlsplit(url).path
    for path in ("static/../../../../../../etc/passwd", "static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 "static/..%2f..%2f..%2fserver.py", "static/"):
        status, _, body = _request(url, base + path)
        assert status in (403, 404), (path, status)
        assert b"root:" not in body


def test_a_websocket_without_the_secret_is_refused_and_starts_no_dashboard(served):
    _, serving, url = served
    parts = urlsplit(url)
    secret = parts.path.strip("/")
    root = f"ws://{parts.netloc}"
    assert children(serving.pid) == []
    for path in ("/ws", f"/{secret[:-1]}/ws", f"/{secret}x/ws", f"/x/{secret}/ws", "/static/ws"):
        assert _websocket_status(root + path) == 403, path
    assert children(serving.pid) == []


def test_the_counting_sees_a_dashboard_and_the_token_is_in_its_environment_only(served):
    """The positive control of the test above: with the secret, one websocket starts one
    dashboard (so the count would have seen one), whose credential is in its environment
    and nowhere in its argument list; closing the tab ends that process."""
    server, serving, url = served
    argv, environ = open_tab(serving, url)
    assert b"hoody_tui.cli" in argv and f"--url={server.url}".encode() in argv
    assert not any(TOKEN.encode() in arg for arg in argv)
    assert f"HOODY_TOKEN={TOKEN}".encode() in environ.split(b"\0")
    secret = urlsplit(url).path.strip("/").encode()
    assert secret not in b" ".join(argv) and secret not in environ  # the URL's secret is not the dashboard's business
    assert children(serving.pid) == []


def test_neither_the_secret_nor_the_token_is_written_anywhere_but_the_url_line(served):
    _, serving, url = served
    secret = urlsplit(url).path.strip("/")
    _request(url, "/nope/")
    _request(url, urlsplit(url).path)
    _websocket_status(f"ws://{urlsplit(url).netloc}/{secret[:-1]}/ws")
    assert serving.stop() == 0
    assert serving.out[0].strip() == url
    rest = "".join(serving.out[1:]) + "".join(serving.err)
    assert secret not in rest and TOKEN not in rest
    assert "Traceback" not in rest
