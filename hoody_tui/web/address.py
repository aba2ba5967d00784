"""Where ``hoody-tui serve`` listens, and whether that address is private.

Loopback is the default and needs nothing; any address another device could reach
needs ``--allow-remote``, because the page is plain HTTP and whoever holds the URL
decides your gates. A name is resolved first: ``localhost`` is loopback, a name that
resolves to a LAN address is not.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

__all__ = ["Address", "AddressError", "check_address", "bind", "url_host", "REMOTE_WARNING"]

REMOTE_WARNING = (
    "warning: listening on {host}, which other devices can reach: the page and its secret cross the "
    "network as plain HTTP. Put TLS in front of it (a reverse proxy with a certificate, or an ssh tunnel), "
    "and share the URL only with yourself."
)


class AddressError(Exception):
    """A --host that cannot be used, said in one line."""


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    loopback: bool
    """Only this machine can connect."""


def _resolved(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise AddressError(f"cannot use --host {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    return [str(info[4][0]) for info in infos]


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def check_address(host: str, port: int, *, allow_remote: bool) -> Address:
    """The address to listen on; :class:`AddressError` for a host that does not resolve,
    or one other devices could reach without ``allow_remote``."""
    host = host.strip()
    if not host:
        raise AddressError("--host is empty: leave it out to listen on 127.0.0.1 (this machine only)")
    addresses = _resolved(host, port)
    loopback = bool(addresses) and all(_is_loopback(a) for a in addresses)
    if not loopback and not allow_remote:
        raise AddressError(
            f"--host {host} can be reached from other devices: add --allow-remote to mean it (and put TLS in "
            "front of it), or leave --host out to listen on 127.0.0.1 (this machine only)")
    return Address(host, port, loopback)


def bind(address: Address) -> socket.socket:
    """A listening socket (``port`` 0: a free one). OSError when the port is taken."""
    family, type_, proto, _, sockaddr = socket.getaddrinfo(
        address.host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def url_host(host: str) -> str:
    """The host as it goes in the printed URL: a wildcard address is shown as this
    machine's name (a browser cannot open 0.0.0.0), an IPv6 address in brackets."""
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname() or "127.0.0.1"
    return f"[{host}]" if ":" in host else host
