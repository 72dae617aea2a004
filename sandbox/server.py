"""One process, five listeners: login (HTTPS), Graph (HTTPS), Proofpoint (HTTPS), browser front
(HTTP), and DNS for the demo domains (UDP).

    sb = Sandbox(host="127.0.0.1", port=0, state_dir=Path("var/sandbox"), scenario=None)
    sb.start(); ...; sb.stop()

port=0 lets each listener pick a free port; otherwise they are PORT, PORT+1, PORT+2, PORT+3 and UDP
PORT+4 (or `dns_port`, 0 = a free one). The plain
http front serves the identity app for people, so the consent page opens without a certificate
warning.

The HTTP listeners are cheroot's threaded WSGI server: HTTP/1.1 with connections kept alive, as
Graph, Entra and Proofpoint keep them. (werkzeug's development server closes every connection, so
each call was a new TLS handshake and the portal looked slower than it is against the real
services; it also discards whatever arrives in the 10 ms after a response, so it cannot be made to
keep them.)
"""

from __future__ import annotations

import threading
from pathlib import Path

from cheroot.ssl.builtin import BuiltinSSLAdapter
from cheroot.wsgi import Server as WsgiServer

from .certs import ensure_certs, load_private_key, server_ssl_context
from .dns import DnsListener
from .graph import GraphService
from .login import LoginService
from .proofpoint import ProofpointService
from .scenario import load_scenario
from .state import World

DEFAULT_PORT = 8440
# Threads that answer calls: latency knobs hold one per call in flight; idle kept-alive
# connections hold none (cheroot's connection manager waits on them).
THREADS = 64


def _listener(host: str, port: int, app, paths=None) -> WsgiServer:
    """A bound, not yet serving, HTTP(S) server (no access log: /_sandbox/requests is the log)."""
    server = WsgiServer((host, port), app, numthreads=THREADS, server_name="sandbox")
    if paths is not None:
        adapter = BuiltinSSLAdapter(str(paths.server_cert), str(paths.server_key))
        adapter.context = server_ssl_context(paths)  # TLS 1.2 at least, as the services
        server.ssl_adapter = adapter
    server.prepare()  # binds, so port 0 has its number now
    return server


class Sandbox:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        state_dir: Path | str = "var/sandbox",
        scenario: dict | str | Path | None = None,
        portal_base_url: str | None = None,
        auto_consent: bool | None = None,
        dns_port: int | None = None,
    ):
        self.host = host
        self.port = port
        self.dns_port_wanted = dns_port
        self._dns: DnsListener | None = None
        self.state_dir = Path(state_dir)
        self.scenario = load_scenario(scenario, portal_base_url)
        if auto_consent is not None:
            self.scenario.setdefault("knobs", {})["auto_consent"] = auto_consent
        self.state = World(self.scenario)
        self._servers: list = []
        self._threads: list[threading.Thread] = []
        self.ports: dict[str, int] = {}

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        hosts = tuple(dict.fromkeys([self.public_host, "127.0.0.1", "localhost"]))
        paths = ensure_certs(self.state_dir, hosts)
        self.ca_path = paths.ca_cert
        self.state.signing_key = load_private_key(paths.signing_key)
        listeners = [
            ("login", LoginService(self.state), paths),
            ("graph", GraphService(self.state), paths),
            ("proofpoint", ProofpointService(self.state), paths),
            ("browser", LoginService(self.state), None),
        ]
        for offset, (name, app, tls) in enumerate(listeners):
            port = 0 if self.port == 0 else self.port + offset
            server = _listener(self.host, port, app, tls)
            self.ports[name] = server.bind_addr[1]
            self._servers.append(server)
            thread = threading.Thread(target=server.serve, name=f"sandbox-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        wanted = self.dns_port_wanted
        if wanted is None:
            wanted = 0 if self.port == 0 else self.port + len(listeners)
        self._dns = DnsListener(self.state, self.host, wanted).start()
        self.ports["dns"] = self._dns.port
        return self

    def stop(self) -> None:
        if self._dns is not None:
            self._dns.stop()
            self._dns = None
        for server in self._servers:
            server.stop()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- addresses ------------------------------------------------------------------------------
    @property
    def public_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host

    def _url(self, scheme: str, name: str) -> str:
        return f"{scheme}://{self.public_host}:{self.ports[name]}"

    @property
    def login_url(self) -> str:
        return self._url("https", "login")

    @property
    def login_browser_url(self) -> str:
        return self._url("http", "browser")

    @property
    def graph_url(self) -> str:
        return self._url("https", "graph")

    @property
    def proofpoint_url(self) -> str:
        return self._url("https", "proofpoint") + "/api/v1"

    @property
    def dns_port(self) -> int:
        """The UDP port of the sandbox's DNS server (same host as the other listeners)."""
        return self.ports["dns"]

    @property
    def dns_address(self) -> str:
        return self.public_host

    @property
    def dns_nameservers(self) -> list[str]:
        """DNS_NAMESERVERS for the portal: ["127.0.0.1:PORT"]."""
        return [f"{self.dns_address}:{self.dns_port}"]

    @property
    def msp(self) -> dict:
        """The MSP app's client_id, secret and home tenant (demo credentials)."""
        return dict(self.state.msp)

    @property
    def staff_signin(self) -> dict:
        """The staff sign-in app (tenant_id, client_id, secret, redirect_uris) and its people."""
        with self.state.lock:
            people = [dict(p) for p in self.state.staff_users.values()]
            return {**self.state.staff_app, "users": people}

    @property
    def proofpoint_credentials(self) -> dict:
        pp = self.scenario.get("proofpoint") or {}
        return {
            "user": pp.get("api_user"),
            "password": pp.get("api_password"),
            "partner_domain": (pp.get("partner") or {}).get("primary_domain"),
        }
