"""Which addresses a webhook may reach (the SSRF guard).

Only http(s) URLs with a host and no credentials. Every address the host stands for (an IP literal,
or each answer of the resolver) must be public: loopback, private, shared (CGNAT), link-local,
multicast, reserved, unspecified and the cloud metadata addresses are refused, also when they hide
inside IPv6 (IPv4-mapped, 6to4, Teredo). ``allow_private`` (``WEBHOOK_ALLOW_PRIVATE_URLS``, for
development and tests) lifts this, except for the metadata addresses, which nothing here ever needs.

The check runs at registration and again at each send, on the addresses the connection then uses
(see ``http.py``): a name that resolved to a public address yesterday and to 127.0.0.1 now (DNS
rebinding) is refused at the send.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# AWS, GCP, Azure and most others (169.254.169.254, and AWS's IPv6 one), Alibaba, Oracle's legacy one.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


class AddressRefused(ValueError):
    """The URL or one of its addresses may not be called; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (a name, or an IP literal without brackets)
    port: int
    path: str  # path and query, what goes on the request line

    @property
    def netloc(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host


def parse_url(url: str) -> Target:
    try:
        parts: SplitResult = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("Credentials in the URL are not supported; verify the signature instead.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    default = 443 if parts.scheme == "https" else 80
    return Target(scheme=parts.scheme, host=parts.hostname, port=port or default, path=path)


def _embedded(ip: IPAddress) -> IPAddress | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return None


def refusal(ip: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why ``ip`` may not be called, or None when it may."""
    inner = _embedded(ip)
    if inner is not None:
        why = refusal(inner, allow_private=allow_private)
        return f"an IPv6 form of {inner}, {why}" if why else None
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if allow_private:
        return None
    for test, name in (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
    ):
        if test:
            return name
    if not ip.is_global:
        return "not a public address"
    return None


def resolve(target: Target, *, allow_private: bool = False) -> list[IPAddress]:
    """The addresses ``target`` stands for, every one of them allowed; raises AddressRefused."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(f"{target.host} does not resolve: {exc}.") from None
        found = []
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            if ip not in found:
                found.append(ip)
        if not found:
            raise AddressRefused(f"{target.host} does not resolve.")
    # One refused answer refuses the name: a resolver that mixes a public and a private answer
    # is exactly what a rebinding attack looks like.
    for ip in found:
        why = refusal(ip, allow_private=allow_private)
        if why:
            subject = str(ip) if literal is not None else f"{target.host} resolves to {ip}, which"
            raise AddressRefused(f"{subject} is {why}; webhooks only go to public addresses.")
    return found


def check_url(url: str, *, allow_private: bool = False) -> Target:
    """Parse and resolve ``url`` now (at registration); returns the parsed target."""
    target = parse_url(url)
    resolve(target, allow_private=allow_private)
    return target
