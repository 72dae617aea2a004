"""Where a webhook may be delivered: public addresses only, checked on the address connected to.

A manager types a URL; nothing stops it naming the portal's own machine, the office network or the
cloud's metadata service (169.254.169.254 hands out credentials). So at delivery the host is
resolved ONCE, every address it resolves to is checked, and the connection goes to the checked
address with the Host header, SNI and certificate check of the name (`PinnedAddressAdapter`): a DNS
answer that changes between the check and the connection (DNS rebinding) changes nothing.

WEBHOOK_ALLOW_PRIVATE_TARGETS=true lifts the address rule for an on-premises PSA.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata and host services; some are ordinary-looking public addresses (Azure's wireserver).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, Azure IMDS, GCP, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.169.253",  # AWS DNS
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::253",
        "168.63.129.16",  # Azure wireserver
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)


# IPv4 addresses reached through a NAT64 gateway: 64:ff9b::7f00:1 is 127.0.0.1.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedTarget(Exception):
    """The URL may not be delivered to; `str()` is the words for the delivery log and the form."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, speak to `host` (Host, SNI, certificate)."""

    url: str  # the URL with its host in ASCII (punycode)
    host: str
    port: int
    address: str


def ascii_host(host: str) -> str:
    """The host as it goes on the wire: an IDN name in punycode, an IP literal unchanged."""
    host = host.strip().rstrip(".").lower()
    if not host or host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise RefusedTarget("the host name is not a valid international domain name") from None


def ascii_url(url: str) -> str:
    """`url` with an IDN host in punycode, so people see which host it really is."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ascii_name = ascii_host(host)
    if ascii_name == host:
        return url
    netloc = ascii_name if parts.port is None else f"{ascii_name}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def has_credentials(url: str) -> bool:
    parts = urlsplit(url)
    return parts.username is not None or parts.password is not None or "@" in parts.netloc


def why_refused(address: IPAddress) -> str | None:
    """None for a public address; otherwise what kind of address it is, in words."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return why_refused(embedded)
    if address in METADATA_ADDRESSES:
        return "cloud metadata address"
    if address.is_loopback:
        return "loopback address"
    if address.is_unspecified:
        return "unspecified address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast:
        return "multicast address"
    if address.is_reserved:
        return "reserved address"
    if address.is_private:
        return "private network address"
    if not address.is_global:
        return "reserved address"
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (IP literals in any form the OS takes: 0x7f000001...)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise RefusedTarget(
            f"the host name could not be resolved ({error.strerror or error})"
        ) from None
    except UnicodeError:  # a label longer than DNS allows (63 characters), or empty
        raise RefusedTarget("the host name is not a valid domain name") from None
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise RefusedTarget("the host name could not be resolved")
    return addresses


def check_addresses(addresses: list[IPAddress], allow_private: bool) -> None:
    if allow_private:
        return
    for address in addresses:
        reason = why_refused(address)
        if reason:
            raise RefusedTarget(f"refused: private address ({address} is a {reason})")


def check_target(url: str, *, allow_private: bool) -> Target:
    """Resolve once and check every address; raises RefusedTarget with the words to record."""
    if has_credentials(url):
        raise RefusedTarget("refused: the URL holds a user name or password")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("refused: not an http(s) URL")
    host = ascii_host(parts.hostname)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    check_addresses(addresses, allow_private)
    return Target(url=ascii_url(url), host=host, port=port, address=str(addresses[0]))


class PinnedAddressAdapter(HTTPAdapter):
    """Connects to the checked address only, whatever DNS says now; TLS still checks the name.

    urllib3 opens the socket to `host_params["host"]`: that becomes the checked IP, while
    `server_hostname` (SNI) and `assert_hostname` (certificate) stay the URL's name and the Host
    header is set to it in `send`.
    """

    def __init__(self, target: Target, **kwargs) -> None:
        self.target = target
        super().__init__(max_retries=0, **kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if ascii_host((host_params.get("host") or "").strip("[]")) != self.target.host.strip("[]"):
            raise RefusedTarget("refused: the request left the checked host")
        host_params["host"] = self.target.address
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self.target.host.strip("[]")
            pool_kwargs["assert_hostname"] = self.target.host.strip("[]")
        return host_params, pool_kwargs

    def send(self, request, *args, **kwargs):
        default_port = 443 if request.url.startswith("https:") else 80
        name = (
            self.target.host if ":" not in self.target.host else f"[{self.target.host.strip('[]')}]"
        )
        request.headers["Host"] = (
            name if self.target.port == default_port else f"{name}:{self.target.port}"
        )
        return super().send(request, *args, **kwargs)


def pin(session, target: Target) -> None:
    """Route every request of `session` through the checked address of `target`."""
    adapter = PinnedAddressAdapter(target)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
