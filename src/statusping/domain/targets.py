"""Which network addresses a check may reach (the SSRF guard's rule; the engine applies it on connect)."""

from __future__ import annotations

import ipaddress

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def blocked_reason(address: str) -> str | None:
    """Why a check must not connect to ``address`` in saas mode, or ``None`` if it may.

    Anything that is not a public unicast address is refused: a check aimed at loopback, the private
    ranges or the cloud metadata service (169.254.169.254) would let a customer probe our network.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return blocked_reason(str(mapped))
    checks = [
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared (carrier-grade NAT)"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"), "unique-local"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "not globally routable"),
    ]
    for hit, label in checks:
        if hit:
            return f"{ip} is a {label} address"
    return None


def literal_ip(host: str) -> str | None:
    """The host as an IP address string if it is an IP literal (``[::1]`` included), else ``None``."""
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
