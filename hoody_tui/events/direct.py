"""An event stream's GET read straight off its socket (HTTP/1.1 over plain TCP).

An event stream is one long response that arrives a little at a time: an agent typing
sends a frame every 10 ms. Through httpx each arrival passed httpcore, h11 and anyio
(which adds a loop step of its own to every read): measured here, reading 100 one-frame
chunks a second cost ~5 % of a core against ~2 % straight off an asyncio stream, and
2,000 frames a second in 50 chunks 2.8 % against 1.0 %. So a stream that goes straight
to its server (``http://``, no proxy configured for it, the client's own transport) is
read here; anything else (TLS, a proxy, a test's transport) keeps going through httpx.

What is sent is what httpx would send: the request is built by the client (its base
URL, default headers) and its ``auth`` adds the credentials, so no header is composed
here. Only ``Accept-Encoding`` is ``identity``: the body is read as it comes.
:class:`DirectResponse` reads the status line and headers, then the body as it arrives,
undoing ``chunked`` transfer coding; a body cut short is :class:`DirectProtocolError`,
as httpx's ``RemoteProtocolError``.
"""

from __future__ import annotations

import asyncio
import codecs
import urllib.request
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx

__all__ = ["ConnectTimeout", "DirectProtocolError", "DirectResponse", "direct_allowed", "open_direct"]

_READ = 65536
_HEX = b"0123456789abcdefABCDEF"
_HEAD_LIMIT = 65536
GATHER = 0.04
"""A trickle is read at most this often, in seconds: when the last read took all there
was, the socket is left alone until this long after it (see :meth:`DirectResponse.chunks`)."""


class DirectProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response, or it stopped mid-response."""


class ConnectTimeout(TimeoutError):
    """No connection within the connect timeout (a plain TimeoutError: no data in time)."""


def direct_allowed(client: Any, url: httpx.URL) -> bool:
    """Whether the stream at ``url`` may be read directly: the client says it has no
    transport of its own (``direct_streams``), the URL is plain ``http``, and no proxy from
    the environment applies to it (httpx would use that proxy)."""
    if not getattr(client, "direct_streams", False) or url.scheme != "http" or not url.host:
        return False
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get("http") or proxies.get("all")):
        return True
    host = url.host if url.port is None else f"{url.host}:{url.port}"
    return bool(urllib.request.proxy_bypass(host))


async def open_direct(http: httpx.AsyncClient, request: httpx.Request, *, connect_timeout: float | None,
                      read_timeout: float) -> DirectResponse:
    """Connect, send ``request`` (after its client's auth has added the credentials) and
    read the response's head. Raises OSError or TimeoutError (connecting, or no head within
    ``read_timeout``), or DirectProtocolError."""
    auth = http.auth
    if auth is not None:
        flow = auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
        finally:
            await flow.aclose()
    request.headers["Accept-Encoding"] = "identity"
    url = request.url
    try:
        async with asyncio.timeout(connect_timeout):
            reader, writer = await asyncio.open_connection(url.host, url.port or 80, limit=_HEAD_LIMIT)
    except TimeoutError:
        raise ConnectTimeout() from None
    try:
        head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), url.raw_path)]
        head.extend(b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw)
        head.append(b"\r\n")
        writer.write(b"".join(head))
        async with asyncio.timeout(read_timeout):
            await writer.drain()
            response = DirectResponse(reader, writer)
            await response.read_head()
        return response
    except BaseException:
        writer.transport.abort()
        raise


class DirectResponse:
    """One response: :attr:`status`, :attr:`headers` (lower-case names), then the body
    through :meth:`chunks` (as it arrives) or :meth:`read` (all of it, for an error's body)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.status = 0
        self.headers: dict[str, str] = {}
        self._decoder: _Body | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._reading_since: float | None = None
        self._stalled = False

    async def read_head(self) -> None:
        while True:
            try:
                raw = await self._reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                raise DirectProtocolError("the server closed the connection before answering") from None
            except asyncio.LimitOverrunError:
                raise DirectProtocolError("the response's headers are too long") from None
            lines = raw.decode("latin-1").split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise DirectProtocolError("the server's answer is not an HTTP/1.1 response")
            self.status = int(code)
            if 100 <= self.status < 200 and self.status != 101:
                continue  # an interim response: the real one follows
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    name = name.strip().lower()
                    value = value.strip()
                    headers[name] = f"{headers[name]}, {value}" if name in headers else value
            self.headers = headers
            self._decoder = _Sized(0) if self.status in (204, 304) else _body(headers)
            return

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    async def chunks(self, idle: float | None = None, gather: float = GATHER) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, until it ends (EOF without its end raises
        DirectProtocolError), all that the socket held at each step. A read that waits
        ``idle`` seconds for data raises TimeoutError (time spent by the consumer between
        two reads does not count, as with httpx's read timeout).

        A trickle is gathered: when a read took all there was, the next one starts no
        sooner than ``gather`` seconds after it, and meanwhile the socket is not watched
        (what arrives waits in the kernel's buffer). Every arrival had woken the process:
        an agent typing at 100 updates a second was 100 wake-ups, each ~80 µs of CPU on its
        own here (measured: a thread waking from ``epoll``) before any of our code ran, and
        each read's trip through the reader and the pump came on top. Gathered, 25 reads a
        second bring 4 updates each; the views are updated at most 25 times a second
        anyway (the app's pacer), so what changed is shown no later. A steady flood keeps
        data buffered and is read without a pause."""
        decoder = self._decoder
        assert decoder is not None, "read_head first"
        read = self._reader.read
        loop = asyncio.get_running_loop()
        transport = cast(asyncio.Transport, self._writer.transport)  # (a socket's: it reads too)
        last = -gather
        resume: asyncio.TimerHandle | None = None
        if idle is not None:
            self._watchdog = loop.call_later(idle, self._watch, loop, idle)
        # What the socket brought and no read took yet: the StreamReader's own buffer (the
        # same bytearray for its whole life; asyncio has no public way to ask). Unknown:
        # as if something were there.
        buffered = getattr(self._reader, "_buffer", b"?")
        try:
            while not decoder.done:
                if gather and not buffered:
                    wait = last + gather - loop.time()
                    if wait > 0 and transport.is_reading():
                        # (A timer that lets the socket be read again, not a sleep of this
                        # task's: no step of its own; the read below waits for what comes.)
                        transport.pause_reading()
                        resume = loop.call_later(wait, transport.resume_reading)
                self._reading_since = loop.time()
                data = await read(_READ)
                last = loop.time()
                self._reading_since = None
                if self._stalled:
                    raise TimeoutError()
                if not data:
                    decoder.at_eof()
                    return
                body = decoder.feed(data)
                if body:
                    yield body
                # A turn for the rest of the loop when the next read would not wait (one
                # that waits is a turn), as httpx (anyio) gives after every read: while
                # data stays buffered the reader went on for its whole slice, and a key
                # waited 3 ms longer in the app's queue (median, traced at 10,000
                # events/s: 4.8-5.9 -> 7.9-9.4 ms). After every read, the turn was a third
                # of the loop's iterations at 100 updates a second (one event a read).
                if buffered:
                    await asyncio.sleep(0)
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None
            if resume is not None and resume.when() > loop.time():  # left while gathering
                resume.cancel()
                transport.resume_reading()

    async def texts(self, idle: float | None = None, gather: float = GATHER) -> AsyncIterator[str]:
        """The body as text (UTF-8, a leading byte order mark dropped, bad bytes replaced),
        as it arrives: see :meth:`chunks`."""
        decode = codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode
        async for data in self.chunks(idle, gather):
            text = decode(data)
            if text:
                yield text
        text = decode(b"", True)
        if text:
            yield text

    def _watch(self, loop: asyncio.AbstractEventLoop, idle: float) -> None:
        """A timer that runs once per ``idle`` seconds (not one per read): a read waiting
        that long ends the connection as stalled."""
        since = self._reading_since
        now = loop.time()
        if since is not None and now - since >= idle:
            self._stalled = True
            self._writer.transport.abort()  # the read returns: chunks() raises TimeoutError
            self._watchdog = None
            return
        self._watchdog = loop.call_later(idle - (now - since) if since is not None else idle, self._watch, loop, idle)

    async def read(self, idle: float | None = None, limit: int = 1 << 20) -> bytes:
        """The body (an error's explanation), up to ``limit`` bytes."""
        parts: list[bytes] = []
        size = 0
        async for data in self.chunks(idle, 0.0):
            parts.append(data)
            size += len(data)
            if size >= limit:
                break
        return b"".join(parts)[:limit]

    def close(self) -> None:
        self._writer.transport.abort()


class _Body:
    """The body's framing: ``feed`` returns the content bytes of what arrived."""

    done = False

    def feed(self, data: bytes) -> bytes:
        return data

    def at_eof(self) -> None:
        """The connection ended: fine for a body that runs to the end of the connection."""
        self.done = True


class _Sized(_Body):
    def __init__(self, length: int) -> None:
        self.left = length
        self.done = length == 0

    def feed(self, data: bytes) -> bytes:
        data = data[:self.left]
        self.left -= len(data)
        self.done = self.left == 0
        return data

    def at_eof(self) -> None:
        raise DirectProtocolError(f"the server closed the connection {self.left} bytes before the end of its body")


class _Chunked(_Body):
    """``Transfer-Encoding: chunked`` undone as bytes arrive (RFC 9112 §7.1): size lines (with
    extensions ignored), each chunk's data and CRLF, the last chunk, then trailers."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.left = 0  # bytes of the current chunk still to come
        self.state = "size"  # size, data, crlf, trailers

    def feed(self, data: bytes) -> bytes:
        buffer = self.buffer
        buffer += data
        out: list[bytes] = []
        pos = 0
        end = len(buffer)
        while pos < end and not self.done:
            state = self.state
            if state == "data":
                take = min(self.left, end - pos)
                out.append(bytes(buffer[pos:pos + take]))
                pos += take
                self.left -= take
                if not self.left:
                    self.state = "crlf"
            elif state == "crlf":
                if end - pos < 2:
                    break
                if buffer[pos:pos + 2] != b"\r\n":
                    raise DirectProtocolError("a chunk of the response did not end where its size said")
                pos += 2
                self.state = "size"
            else:
                newline = buffer.find(b"\r\n", pos)
                if newline < 0:
                    if end - pos > 4096:
                        raise DirectProtocolError("a chunk size line of the response is too long")
                    break
                line = bytes(buffer[pos:newline])
                pos = newline + 2
                if state == "trailers":
                    if not line:
                        self.done = True
                    continue
                size = line.split(b";", 1)[0].strip(b" \t")
                if not size or size.strip(_HEX) or len(size) > 16:
                    raise DirectProtocolError("a chunk size of the response is not a number")
                self.left = int(size, 16)
                self.state = "data" if self.left else "trailers"
        del buffer[:pos]
        return out[0] if len(out) == 1 else b"".join(out)

    def at_eof(self) -> None:
        if not self.done:
            raise DirectProtocolError("peer closed connection without sending complete message body: "
                                      "incomplete chunked read")


def _body(headers: dict[str, str]) -> _Body:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _Chunked()
    length = headers.get("content-length")
    if length is not None:
        value = length.split(",")[0].strip()
        if not value.isascii() or not value.isdigit():
            raise DirectProtocolError("the response's Content-Length is not a number")
        return _Sized(int(value))
    return _Body()
