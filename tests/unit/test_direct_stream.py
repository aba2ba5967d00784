"""The event stream read straight off its socket (``hoody_tui.events.direct``).

The HTTP framing is checked against a real TCP server that writes exactly the bytes a
test gives it (uvicorn would not send a broken chunk), in the pieces given; the SSE
reading on top of it is checked in ``test_sse_properties`` (the same items as through
httpx, for any bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoody_tui.api.events import parse_event
from hoody_tui.api.transport import BearerAuth
from hoody_tui.backends.hoody import HoodyClient
from hoody_tui.events import ConnectionState, SseStream
from hoody_tui.events.direct import (
    ConnectTimeout,
    DirectProtocolError,
    _Chunked,
    direct_allowed,
    open_direct,
)

HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
FRAME = b'data: {"type": "session.idle", "properties": {"sessionID": "s1"}}\n\n'


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


class TcpServer:
    """Answers each connection with ``replies`` (pieces written one by one, with a pause
    between them so they arrive apart), then keeps it open if ``hold``; records what it
    was sent."""

    def __init__(self, replies: list[bytes], *, hold: bool = False, answer: bool = True) -> None:
        self.replies = replies
        self.hold = hold
        self.answer = answer
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.url = ""

    async def __aenter__(self) -> TcpServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            self.requests.append(await reader.readuntil(b"\r\n\r\n"))
            if not self.answer:
                await reader.read()  # until the client gives up
                return
            for piece in self.replies:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.01)
            if self.hold:
                await reader.read()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def read_body(url: str, *, idle: float | None = None, auth: httpx.Auth | None = None,
                    read_timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    async with httpx.AsyncClient(base_url=url, auth=auth) as http:
        request = http.build_request("GET", "/stream?x=1", headers={"Accept": "text/event-stream"})
        response = await open_direct(http, request, connect_timeout=5, read_timeout=read_timeout)
        try:
            body = b"".join([data async for data in response.chunks(idle)])
        finally:
            response.close()
        return response.status, response.headers, body


# --- chunked transfer coding ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.binary(min_size=1, max_size=40), max_size=8),
       extensions=st.booleans(), trailers=st.booleans(), cuts=st.lists(st.integers(0, 400), max_size=12),
       upper=st.booleans())
def test_chunked_bodies_are_undone_however_the_bytes_arrive(pieces, extensions, trailers, cuts, upper):
    encoded = b""
    for piece in pieces:
        size = (b"%X" if upper else b"%x") % len(piece)
        encoded += size + (b" ;name=value" if extensions else b"") + b"\r\n" + piece + b"\r\n"
    encoded += b"0\r\n" + (b"Expires: never\r\n" if trailers else b"") + b"\r\n"
    decoder = _Chunked()
    out = b""
    start = 0
    for cut in [*sorted({min(c, len(encoded)) for c in cuts}), len(encoded)]:
        out += decoder.feed(encoded[start:cut])
        start = cut
    assert out == b"".join(pieces)
    assert decoder.done


@pytest.mark.parametrize("encoded", [
    b"zz\r\nhello\r\n",  # not hex
    b"0x5\r\nhello\r\n",  # what int(..., 16) would take, HTTP does not
    b"+5\r\nhello\r\n",
    b"1_0\r\n",
    b"\r\n",  # no size at all
    b"5\r\nhelloXY",  # the chunk does not end where its size says
])
def test_a_broken_chunk_is_a_protocol_error(encoded):
    with pytest.raises(DirectProtocolError):
        _Chunked().feed(encoded)


def test_a_body_cut_short_is_a_protocol_error_not_an_end():
    decoder = _Chunked()
    assert decoder.feed(b"5\r\nhel") == b"hel"
    with pytest.raises(DirectProtocolError, match="incomplete chunked read"):
        decoder.at_eof()


# --- over a real socket ------------------------------------------------------------------


async def test_chunked_sized_and_until_close_bodies_over_a_socket():
    cases = [
        ([HEAD + b"transfer-encoding: chunked\r\n\r\n", chunked(b"ab", b"c"), b""], b"abc"),
        ([HEAD + b"content-length: 5\r\n\r\nhel", b"lo", b"IGNORED"], b"hello"),
        ([HEAD + b"\r\n", b"all ", b"of it"], b"all of it"),  # until the server closes
        ([b"HTTP/1.1 100 Continue\r\n\r\n", HEAD + b"content-length: 2\r\n\r\nok"], b"ok"),  # interim reply
    ]
    for replies, body in cases:
        async with TcpServer(replies) as server:
            status, headers, got = await read_body(server.url)
        assert (status, got) == (200, body)
        assert headers["content-type"] == "text/event-stream"


async def test_the_request_is_what_httpx_builds_with_the_credentials_and_no_compression():
    async with TcpServer([HEAD + b"content-length: 0\r\n\r\n"]) as server:
        await read_body(server.url, auth=BearerAuth("s3cr3t"))
    head = server.requests[0].decode("latin-1").split("\r\n")
    assert head[0] == "GET /stream?x=1 HTTP/1.1"
    fields = {line.partition(":")[0].lower(): line.partition(":")[2].strip() for line in head[1:] if line}
    assert fields["authorization"] == "Bearer s3cr3t"
    assert fields["accept"] == "text/event-stream"
    assert fields["accept-encoding"] == "identity"
    assert fields["host"] == server.url.removeprefix("http://")


async def test_a_server_that_stops_mid_body_is_a_protocol_error():
    async with TcpServer([HEAD + b"transfer-encoding: chunked\r\n\r\n", b"5\r\nhel"]) as server:
        with pytest.raises(DirectProtocolError, match="incomplete chunked read"):
            await read_body(server.url)


async def test_an_answer_that_is_not_http_is_a_protocol_error():
    async with TcpServer([b"SSH-2.0-OpenSSH\r\n\r\n"]) as server:
        with pytest.raises(DirectProtocolError, match="not an HTTP"):
            await read_body(server.url)


async def test_no_answer_within_the_read_timeout_is_a_timeout():
    async with TcpServer([], answer=False) as server:
        with pytest.raises(TimeoutError) as caught:
            await read_body(server.url, read_timeout=0.2)
    assert not isinstance(caught.value, ConnectTimeout)


async def test_a_stream_silent_for_its_idle_time_is_a_timeout():
    async with TcpServer([HEAD + b"transfer-encoding: chunked\r\n\r\n", b"3\r\nabc\r\n"], hold=True) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await open_direct(http, http.build_request("GET", "/"), connect_timeout=5, read_timeout=5)
            got = b""
            with pytest.raises(TimeoutError):
                async for data in response.chunks(idle=0.3):
                    got += data
            response.close()
    assert got == b"abc"


async def test_a_consumer_slower_than_the_idle_time_is_not_taken_for_a_stall():
    """The idle time counts only while a read waits (as httpx's read timeout does): a
    consumer that takes longer between reads keeps its connection."""
    pieces = [b"1\r\n%d\r\n" % i for i in range(3)]
    async with TcpServer([HEAD + b"transfer-encoding: chunked\r\n\r\n", *pieces, b"0\r\n\r\n"]) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await open_direct(http, http.build_request("GET", "/"), connect_timeout=5, read_timeout=5)
            got = b""
            async for data in response.chunks(idle=0.2):
                got += data
                await asyncio.sleep(0.5)  # the rest is already in the socket's buffer
            response.close()
    assert got == b"012"


# --- which streams are read directly -------------------------------------------------------


def test_only_plain_http_to_the_server_itself_is_read_directly(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    plain = HoodyClient("http://127.0.0.1:9", "w")
    own_transport = HoodyClient("http://127.0.0.1:9", "w", transport=httpx.AsyncHTTPTransport())
    url = httpx.URL("http://127.0.0.1:9/api/v1/meta/events")
    assert direct_allowed(plain, url)
    assert not direct_allowed(own_transport, url)  # a test's or a caller's transport is kept
    assert not direct_allowed(plain, httpx.URL("https://example.org/events"))  # TLS goes through httpx
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    assert not direct_allowed(plain, url)  # httpx would go through the proxy
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    assert direct_allowed(plain, url)


async def items_both_ways(url: str) -> tuple[list, list]:
    """The items of one stream from ``url`` read directly, then through httpx (a client
    given a transport), without reconnecting."""
    outcomes = []
    for transport in (None, httpx.AsyncHTTPTransport()):
        async with HoodyClient(url, "w", api_prefix="/api/v1", transport=transport) as client:
            async def where() -> str:
                return "/events"

            stream = SseStream(client, where, parse_event, reconnect=False, heartbeat_timeout=5)
            outcomes.append([item async for item in stream])
    return outcomes[0], outcomes[1]


async def test_a_stream_read_directly_says_what_went_wrong_as_through_httpx():
    """The same ConnectionState reasons whichever way the stream is read: an error status
    with its explanation, a reply that is not an event stream."""
    replies = {
        "unauthorized": [b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 24\r\n\r\n"
                         b'{"error": "bad token!!"}'],
        "not a stream": [b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 6\r\n\r\n<html>"],
    }
    for name, reply in replies.items():
        async with TcpServer(reply) as server:
            direct, through_httpx = await items_both_ways(server.url)
        assert direct == through_httpx, name
        last = direct[-1]
        assert isinstance(last, ConnectionState) and last.final
        assert ("bad token" in last.reason) if name == "unauthorized" else ("text/html" in last.reason)


async def test_a_refused_connection_reads_as_through_httpx():
    async with TcpServer([]) as server:
        url = server.url
    direct, through_httpx = await items_both_ways(url)
    assert direct[-1].reason == through_httpx[-1].reason
    assert "connection refused" in direct[-1].reason


async def test_a_server_that_compresses_its_stream_anyway_is_read_through_httpx():
    """Asked for ``identity``, a server may still gzip the stream: httpx undoes that, so the
    stream is read through httpx from then on, and the events arrive as they would."""
    body = gzip.compress(FRAME * 3)
    reply = [HEAD + b"content-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n", chunked(body)]
    async with TcpServer(reply) as server:
        direct, through_httpx = await items_both_ways(server.url)
    # read directly, found compressed, asked again through httpx; then once through httpx
    assert len(server.requests) == 3
    assert direct == through_httpx
    assert [i for i in direct if not isinstance(i, ConnectionState)][1:] == [parse_event(
        {"type": "session.idle", "properties": {"sessionID": "s1"}})] * 3


async def test_a_trickle_is_gathered_with_the_socket_left_alone_meanwhile():
    """After a read that took all there was, the next one waits out ``gather`` with the
    socket unwatched: what the server sends meanwhile stays in the kernel's buffer (no
    wake-up of the process for each piece) and is read together; a read cancelled while
    it gathers leaves the socket watched again."""
    more = asyncio.Event()
    sent = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(HEAD + b"transfer-encoding: chunked\r\n\r\n" + chunked(b"a")[:-5])
        await more.wait()
        for piece in (b"b", b"c", b"d"):
            writer.write(chunked(piece)[:-5])
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        sent.set()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            response = await open_direct(http, http.build_request("GET", "/"), connect_timeout=5, read_timeout=5)
            transport = response._writer.transport
            chunks = response.chunks(gather=60.0)
            assert await chunks.__anext__() == b"a"
            gathering = asyncio.create_task(chunks.__anext__())
            for _ in range(5):
                await asyncio.sleep(0)
            assert not transport.is_reading()
            more.set()
            await sent.wait()
            for _ in range(5):
                await asyncio.sleep(0.01)  # (a watched socket would have been read by now)
            assert not response._reader._buffer and not gathering.done()
            gathering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await gathering
            assert transport.is_reading()
            rest = [data async for data in response.chunks(gather=0.0)]
            response.close()
    finally:
        server.close()
    assert b"".join(rest) == b"bcd"


async def test_other_tasks_get_a_turn_between_two_reads_even_when_data_waits():
    """While bytes stay buffered a read does not wait: the reader still gives the loop a
    turn after each one (as httpx does), so a key is not kept behind a long run of reads."""
    body = b"x" * 300_000  # several reads' worth, all sent at once
    reply = [HEAD + b"content-length: %d\r\n\r\n" % len(body) + body]
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async with TcpServer(reply) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await open_direct(http, http.build_request("GET", "/"), connect_timeout=5, read_timeout=5)
            await asyncio.sleep(0.2)  # all of it arrives in the socket's buffer
            spinner = asyncio.create_task(other_task())
            seen: list[int] = []
            size = 0
            async for data in response.chunks():
                seen.append(turns)
                size += len(data)
            spinner.cancel()
            response.close()
    assert size == len(body) and len(seen) >= 3
    assert all(b > a for a, b in itertools.pairwise(seen)), seen
