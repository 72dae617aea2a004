"""MX lookups through a configurable resolver (dnspython), for the mx_not_routed health check.

`nameservers`: "host" or "host:port" entries (IPv6 as "[::1]:53"); empty: the system's resolver.
A lookup that cannot answer (timeout, NXDOMAIN, no MX, a server failure) raises DnsUnavailable with
the reason in words: the caller treats that as "not checked", never as a finding.
"""

from __future__ import annotations

from collections.abc import Sequence

import dns.exception
import dns.nameserver
import dns.resolver


class DnsUnavailable(Exception):
    """The MX records could not be read; str() says why, for a person."""


def _nameserver(entry: str) -> dns.nameserver.Nameserver:
    entry = entry.strip()
    host, port = entry, 53
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif entry.count(":") == 1:
        host, _, text = entry.partition(":")
        port = int(text)
    return dns.nameserver.Do53Nameserver(host, port)


def make_resolver(nameservers: Sequence[str], timeout: float) -> dns.resolver.Resolver:
    entries = [entry for entry in nameservers if entry and entry.strip()]
    resolver = dns.resolver.Resolver(configure=not entries)
    if entries:
        try:
            resolver.nameservers = [_nameserver(entry) for entry in entries]
        except ValueError as error:
            raise DnsUnavailable(
                f"DNS_NAMESERVERS holds an entry that is not host or host:port ({error})."
            ) from error
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def mx_hosts(domain: str, nameservers: Sequence[str] = (), timeout: float = 5.0) -> list[str]:
    """The domain's MX hosts, lower-case without the trailing dot, best preference first."""
    resolver = make_resolver(nameservers, timeout)
    try:
        answer = resolver.resolve(domain, "MX", raise_on_no_answer=True)
    except dns.resolver.NXDOMAIN:
        raise DnsUnavailable(f"the domain {domain} does not exist in DNS (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        raise DnsUnavailable(f"{domain} has no MX records") from None
    except dns.exception.Timeout:
        raise DnsUnavailable(f"the DNS lookup of {domain} timed out") from None
    except dns.resolver.NoNameservers:
        raise DnsUnavailable(f"no DNS server could answer for {domain} (server failure)") from None
    except dns.exception.DNSException as error:
        raise DnsUnavailable(
            f"the DNS lookup of {domain} failed ({type(error).__name__})"
        ) from None
    records = sorted(answer, key=lambda record: record.preference)
    return [record.exchange.to_text().rstrip(".").lower() for record in records]
