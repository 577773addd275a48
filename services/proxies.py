"""Who is on the other end of a request when a proxy sits in front: `X-Forwarded-For` and
`X-Forwarded-Proto` count only when the direct peer is one of TANDEM_TRUSTED_PROXIES.

Anyone can send those headers, so from any other peer they are ignored: the peer's own address
is the client (the login rate limit and the audit log's IP key on it) and the connection's own
scheme stands. From a trusted proxy the client is the rightmost address of X-Forwarded-For that
is not itself a trusted proxy: what a client wrote into the header sits to the left of what the
proxies appended, so it can never be picked over the address the first proxy saw.
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")


def parse_networks(value: str) -> tuple[Network, ...]:
    """TANDEM_TRUSTED_PROXIES: comma-separated addresses and CIDR blocks ("" trusts none).
    A bad entry raises ValueError naming it."""
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None
    return tuple(networks)


def _address(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) is that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: list[str], trusted: tuple[Network, ...]
) -> str | None:
    """The client's address: `peer` unless it is a trusted proxy; then the rightmost
    X-Forwarded-For hop that is not trusted (`forwarded_for`: every such header's value, in
    order). An unreadable hop stops the walk at the last trusted one before it."""
    current = _address(peer or "")
    if current is None or not _trusted(current, trusted):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(current, trusted):
            break
    return str(current)


def client_scheme(
    peer: str | None, scheme: str, forwarded_proto: str | None, trusted: tuple[Network, ...]
) -> str:
    """The scheme the client used: the nearest proxy's X-Forwarded-Proto (its rightmost
    value) when the peer is trusted and the value is http or https; else the connection's."""
    current = _address(peer or "")
    if current is None or not _trusted(current, trusted) or not forwarded_proto:
        return scheme
    proto = forwarded_proto.split(",")[-1].strip().lower()
    return proto if proto in SCHEMES else scheme
