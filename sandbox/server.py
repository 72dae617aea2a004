"""One process, five listeners: login (HTTPS), Graph (HTTPS), Proofpoint (HTTPS), browser front
(HTTP), and DNS for the demo domains (UDP).

    sb = Sandbox(host="127.0.0.1", port=0, state_dir=Path("var/sandbox"), scenario=None)
    sb.start(); ...; sb.stop()

port=0 lets each listener pick a free port; otherwise they are PORT, PORT+1, PORT+2, PORT+3 and UDP
PORT+4 (or `dns_port`, 0 = a free one). The plain
http front serves the identity app for people, so the consent page opens without a certificate
warning.
"""

from __future__ import annotations

import threading
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from .certs import ensure_certs, load_private_key, server_ssl_context
from .dns import DnsListener
from .graph import GraphService
from .login import LoginService
from .proofpoint import ProofpointService
from .scenario import load_scenario
from .state import World

DEFAULT_PORT = 8440


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the request log is /_sandbox/requests (and never prints secrets)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


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
        ctx = server_ssl_context(paths)
        listeners = [
            ("login", LoginService(self.state), ctx),
            ("graph", GraphService(self.state), ctx),
            ("proofpoint", ProofpointService(self.state), ctx),
            ("browser", LoginService(self.state), None),
        ]
        for offset, (name, app, ssl_context) in enumerate(listeners):
            port = 0 if self.port == 0 else self.port + offset
            server = make_server(
                self.host,
                port,
                app,
                threaded=True,
                ssl_context=ssl_context,
                request_handler=QuietHandler,
            )
            server.daemon_threads = True
            self.ports[name] = server.server_port
            self._servers.append(server)
            thread = threading.Thread(
                target=server.serve_forever, name=f"sandbox-{name}", daemon=True
            )
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
            server.shutdown()
            server.server_close()
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
