"""DNS for the demo domains, on a local UDP port (dnslib), so MX checks run for real.

Every domain the world knows (each Entra tenant domain, its *.onmicrosoft.example domain, each
Proofpoint org domain) answers:
- MX: the customer's Microsoft 365 host, `0 <domain-with-dashes>.mail.protection.outlook.com` (not
  routed through Proofpoint yet), until changed: `POST /_sandbox/dns`, or the `route` helper that
  points it at Proofpoint's hosts for a stack (`mx1-{stack}.ppe-hosted.com`,
  `mx2-{stack}.ppe-hosted.com`, domain.md section 7);
- TXT: `v=spf1 include:spf.protection.outlook.com -all` (Microsoft 365's documented SPF) and an
  `MS=ms........` verification value; A: one TEST-NET-1 address (192.0.2.0/24); SOA and NS for the
  zone.
Answers are authoritative (AA set, RA clear: this is no recursive resolver). A name the
  world does not know, inside or outside those zones, is NXDOMAIN (the sandbox plays the whole DNS
  for the portal); a known name without records of the asked type is NOERROR with no answer (NODATA)
  and the zone's SOA. A domain can also be made to fail: `nxdomain`, `servfail`, or `timeout` (no
  reply at all). Overrides live in `world.dns` and are cleared by a reset.
"""

from __future__ import annotations

import hashlib
import threading

from dnslib import MX, NS, QTYPE, RCODE, RR, SOA, TXT, A, DNSError, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

TTL = 300
STACKS = ("us1", "us2", "us3", "us4", "us5", "eu1")
NAMESERVERS = ("ns1.sandbox-dns.example", "ns2.sandbox-dns.example")
FAILURES = ("nxdomain", "servfail", "timeout")
MICROSOFT_SPF = "v=spf1 include:spf.protection.outlook.com -all"
# Proofpoint Essentials' SPF entry per region (a guess from Proofpoint's KBs: dispatch-us /
# dispatch-eu).
PROOFPOINT_SPF = {"us": "a:dispatch-us.ppe-hosted.com", "eu": "a:dispatch-eu.ppe-hosted.com"}


def microsoft_mx(domain: str) -> str:
    """Exchange Online's MX host for a domain: dots become dashes (fabrikam-
    example.mail.protection...)."""
    return f"{domain.lower().replace('.', '-')}.mail.protection.outlook.com"


def proofpoint_mx(stack: str) -> list[list]:
    """Proofpoint Essentials' two inbound hosts for a stack, both at preference 10 (a guess)."""
    stack = (stack or "").lower()
    if stack not in STACKS:
        raise ValueError(f"unknown stack {stack!r}; one of {', '.join(STACKS)}")
    return [[10, f"mx1-{stack}.ppe-hosted.com"], [10, f"mx2-{stack}.ppe-hosted.com"]]


def proofpoint_spf(stack: str) -> str:
    region = "eu" if stack.lower().startswith("eu") else "us"
    return f"v=spf1 include:spf.protection.outlook.com {PROOFPOINT_SPF[region]} -all"


def _digest(domain: str) -> bytes:
    return hashlib.sha256(domain.encode()).digest()


def default_records(domain: str) -> dict:
    digest = _digest(domain)
    return {
        "mx": [[0, microsoft_mx(domain)]],
        "txt": [MICROSOFT_SPF, f"MS=ms{int.from_bytes(digest[:4], 'big') % 10**8:08d}"],
        "a": [f"192.0.2.{digest[4] % 254 + 1}"],
        "fail": None,
    }


def known(world, name: str) -> bool:
    if name in world.dns or world.tenant(name) is not None or name in world.orgs:
        return True
    return any(name in org.domains for org in world.orgs.values())


def records(world, domain: str) -> dict | None:
    """The records a domain answers with (its overrides over the defaults), or None if unknown."""
    domain = domain.lower().rstrip(".")
    with world.lock:
        if not known(world, domain):
            return None
        return {**default_records(domain), **world.dns.get(domain, {}), "domain": domain}


def set_records(world, domain: str, changes: dict) -> dict:
    """Change a domain's records: any of mx [[pref, host],..], txt [..], a [..], fail; `reset` drops
    them."""
    domain = (domain or "").lower().rstrip(".")
    if not domain:
        raise ValueError("domain is required")
    with world.lock:
        if not known(world, domain):
            raise ValueError(f"unknown domain {domain}: add a tenant or an org with it first")
        if changes.get("reset"):
            world.dns.pop(domain, None)
        override = world.dns.setdefault(domain, {})
        if changes.get("route"):
            override["mx"] = proofpoint_mx(changes["route"])
            if changes.get("spf"):
                override["txt"] = [
                    proofpoint_spf(changes["route"]),
                    default_records(domain)["txt"][1],
                ]
        if "mx" in changes:
            override["mx"] = _mx_list(changes["mx"])
        for kind in ("txt", "a"):
            if kind in changes:
                values = changes[kind]
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise ValueError(f"{kind} must be a list of strings")
                override[kind] = list(values)
        if "fail" in changes:
            if changes["fail"] not in (None, *FAILURES):
                raise ValueError(f"fail must be null or one of {', '.join(FAILURES)}")
            override["fail"] = changes["fail"]
        if not override:
            world.dns.pop(domain, None)
    return records(world, domain)


def _mx_list(value) -> list[list]:
    if not isinstance(value, list):
        raise ValueError("mx must be a list of [preference, host] pairs")
    result = []
    for item in value:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 2
            or type(item[0]) is not int
            or not 0 <= item[0] <= 65535
            or not isinstance(item[1], str)
            or not item[1].strip(".")
        ):
            raise ValueError("each mx entry must be [preference 0..65535, host]")
        result.append([item[0], item[1].rstrip(".").lower()])
    return result


class SandboxResolver(BaseResolver):
    """Answers from the world's current state (read under its lock, so changes apply at once)."""

    def __init__(self, world):
        self.world = world

    def resolve(self, request: DNSRecord, handler) -> DNSRecord:
        ticket = self.world.log.begin("dns", None)
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        reply = request.reply(ra=0, aa=1)
        status = "NOERROR"
        try:
            found = records(self.world, qname)
            failure = (found or {}).get("fail")
            if failure == "timeout":
                status = "TIMEOUT"
                raise DNSError("the sandbox drops this query (fail=timeout)")
            if found is None or failure == "nxdomain":
                reply.header.rcode = RCODE.NXDOMAIN
            elif failure == "servfail":
                reply.header.rcode = RCODE.SERVFAIL
                reply.header.aa = 0
            else:
                self._answer(reply, qname, qtype, found)
            if reply.header.rcode == RCODE.NXDOMAIN and found is not None:
                reply.add_auth(self._soa(qname))
            status = RCODE.get(reply.header.rcode)
            return reply
        finally:
            self.world.log.end(ticket, "QUERY", qtype, status, qname, write=False)

    def _answer(self, reply: DNSRecord, name: str, qtype: str, found: dict) -> None:
        answers = []
        if qtype in ("MX", "ANY"):
            answers += [
                RR(name, QTYPE.MX, rdata=MX(host, pref), ttl=TTL) for pref, host in found["mx"]
            ]
        if qtype in ("TXT", "ANY"):
            answers += [RR(name, QTYPE.TXT, rdata=TXT(text), ttl=TTL) for text in found["txt"]]
        if qtype in ("A", "ANY"):
            answers += [RR(name, QTYPE.A, rdata=A(address), ttl=TTL) for address in found["a"]]
        if qtype in ("NS", "ANY"):
            answers += [RR(name, QTYPE.NS, rdata=NS(host), ttl=TTL) for host in NAMESERVERS]
        if qtype in ("SOA", "ANY"):
            answers.append(self._soa(name))
        for rr in answers:
            reply.add_answer(rr)
        if not answers:
            reply.add_auth(self._soa(name))  # NODATA: the name exists, not this type

    def _soa(self, name: str) -> RR:
        return RR(
            name,
            QTYPE.SOA,
            ttl=TTL,
            rdata=SOA(NAMESERVERS[0], f"hostmaster.{name}", (2026010101, 3600, 600, 86400, TTL)),
        )


class DnsListener:
    """The UDP server in a daemon thread; port 0 picks a free port."""

    def __init__(self, world, host: str, port: int):
        quiet = DNSLogger(log="-recv,-send,-request,-reply,-truncated,-error,-data", prefix=False)
        self.server = DNSServer(SandboxResolver(world), address=host, port=port, logger=quiet)
        self.server.server.daemon_threads = True
        self.port = self.server.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.server.serve_forever, name="sandbox-dns", daemon=True
        )

    def start(self) -> DnsListener:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.server.shutdown()
        self.server.server.server_close()
