"""The client's address, trusting X-Forwarded-For only as far as settings.TRUSTED_PROXIES says.

Any client can send an X-Forwarded-For header, so a limit keyed on it is no limit. The header is
read only when the connection itself (REMOTE_ADDR) comes from a trusted proxy, and then from the
right: each trusted proxy appends the address it saw, so the first address from the right that is
not a trusted proxy is the client. Whatever lies left of it was written by the client and is
ignored. With TRUSTED_PROXIES empty (the default), REMOTE_ADDR is the client.

Used by django-axes (AXES_CLIENT_IP_CALLABLE) and by every DRF throttle (core.throttling), so the
login limits and the request rates key on the same address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def parse_address(value: str | None) -> Address | None:
    """'203.0.113.7', '203.0.113.7:5123', '[2001:db8::1]:443', '::ffff:10.0.0.1' → an address; junk → None."""
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request) -> str | None:
    """The address to hold a client to: REMOTE_ADDR, or the forwarded address a trusted proxy vouches for."""
    remote = parse_address(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return None
    networks = trusted_networks()
    if not networks or not _is_trusted(remote, networks):
        return str(remote)
    client = remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:  # a trusted proxy passed on something unreadable: stop at that proxy
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)
