"""Webhooks cannot probe the inside: real listeners on loopback must receive nothing, in every
spelling of a private address; the operator's setting lets a local PSA receive the signed
delivery; the connection goes to the address that was checked (DNS rebinding), with TLS still
checking the name."""

import contextlib
import hashlib
import hmac
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from notifications import targets, webhooks
from notifications.models import DeliveryState, Webhook, WebhookDelivery


class Listener:
    """A plain TCP listener that counts every connection it accepts (and answers HTTP 200)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                # Counted before answering: the client may look the moment it has its answer.
                self.connections.append(data)
                with contextlib.suppress(OSError):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener("0.0.0.0")  # noqa: S104  so that every loopback spelling would reach it
    yield server
    server.close()


def delivery_to(url: str) -> WebhookDelivery:
    hook = Webhook.objects.create(url=url, secret="whsec_test")
    return WebhookDelivery.objects.create(
        webhook=hook, event="job.started", payload={"event": "job.started"}
    )


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:{port}/hook",
    "http://localhost:{port}/hook",  # a real name the resolver answers with a loopback address
    "http://2130706433:{port}/hook",  # 127.0.0.1 as one decimal number
    "http://0x7f000001:{port}/hook",  # ... and in hex
    "http://0177.0.0.1:{port}/hook",  # ... and in octal
    "http://127.1:{port}/hook",
    "http://0.0.0.0:{port}/hook",  # Linux connects 0.0.0.0 to this machine
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "https://localhost:{port}/hook",
]


@pytest.mark.parametrize("template", LOOPBACK_SPELLINGS)
def test_a_delivery_to_a_loopback_spelling_sends_nothing(listener, db, template):
    delivery = delivery_to(template.format(port=listener.port))
    assert webhooks.deliver(delivery) is False
    delivery.refresh_from_db()
    assert listener.connections == []
    assert delivery.error.startswith("refused: private address"), delivery.error
    assert delivery.state == DeliveryState.FAILED and delivery.status_code is None


def test_ipv6_loopback_sends_nothing(db):
    server = Listener("::1", family=socket.AF_INET6)
    try:
        delivery = delivery_to(f"http://[::1]:{server.port}/hook")
        assert webhooks.deliver(delivery) is False
        delivery.refresh_from_db()
        assert server.connections == []
        assert delivery.error.startswith("refused: private address")
    finally:
        server.close()


def test_a_refused_delivery_is_not_retried(listener, db):
    from notifications import tasks

    delivery = delivery_to(f"http://127.0.0.1:{listener.port}/hook")
    tasks.deliver_webhook.apply(args=[delivery.pk], throw=True, retries=0).get()  # no Retry raised
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1
    assert listener.connections == []


@pytest.mark.parametrize(
    "address,kind",
    [
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("168.63.129.16", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "reserved"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::7f00:1", "loopback"),
        ("::", "unspecified"),
    ],
)
def test_internal_addresses_are_named(address, kind):
    assert kind in (targets.why_refused(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address):
    assert targets.why_refused(ipaddress.ip_address(address)) is None


def test_the_operator_setting_lets_a_local_psa_receive_the_signed_delivery(settings, db):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(
                (dict(self.headers), self.rfile.read(int(self.headers["Content-Length"])))
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
        delivery = delivery_to(f"http://localhost:{server.server_port}/psa")
        assert webhooks.deliver(delivery) is True
    finally:
        server.shutdown()
        server.server_close()
    headers, body = received[0]
    assert headers["Host"] == f"localhost:{server.server_port}"
    expected = hmac.new(
        b"whsec_test", f"{headers['X-Portal-Timestamp']}.{body.decode()}".encode(), hashlib.sha256
    ).hexdigest()
    assert headers["X-Portal-Signature"] == f"sha256={expected}"


def test_the_connection_goes_to_the_checked_address_not_a_new_dns_answer():
    """DNS rebinding: the name now says 127.0.0.1, but 127.0.0.2 was checked: that is called."""
    checked = Listener("127.0.0.2")
    other = Listener("127.0.0.1", checked.port)
    try:
        target = targets.Target(
            url=f"http://localhost:{checked.port}/x",
            host="localhost",
            port=checked.port,
            address="127.0.0.2",
        )
        session = requests.Session()
        session.trust_env = False
        targets.pin(session, target)
        assert session.post(target.url, data=b"{}", timeout=5).status_code == 200
        assert other.connections == [] and len(checked.connections) == 1
        assert f"Host: localhost:{checked.port}".encode() in checked.connections[0]
    finally:
        checked.close()
        other.close()


def test_tls_checks_the_name_while_connecting_to_the_checked_address(sandbox):
    """https: SNI and the certificate check use the URL's name, the socket goes to the pinned IP."""
    port = int(sandbox.login_url.rsplit(":", 1)[1].split("/")[0])
    good = targets.Target(
        url=f"https://localhost:{port}/_sandbox/state",
        host="localhost",
        port=port,
        address="127.0.0.1",
    )
    session = requests.Session()
    session.trust_env, session.verify = False, str(sandbox.ca_path)
    targets.pin(session, good)
    assert session.get(good.url, timeout=10).status_code == 200
    bad = targets.Target(
        url=f"https://psa.msp.example:{port}/",
        host="psa.msp.example",
        port=port,
        address="127.0.0.1",
    )
    session = requests.Session()
    session.trust_env, session.verify = False, str(sandbox.ca_path)
    targets.pin(session, bad)
    with pytest.raises(requests.exceptions.SSLError):
        session.get(bad.url, timeout=10)


@pytest.mark.parametrize(
    "url,words",
    [
        ("https://admin:hunter2@hooks.example/x", "user name or password"),
        ("https://admin@hooks.example/x", "user name or password"),
        ("http://127.0.0.1:9000/x", "private or internal network"),
        ("http://localhost:9000/x", "private or internal network"),
        ("https://169.254.169.254/latest/meta-data/", "private or internal network"),
        ("https://[fd00:ec2::254]/", "private or internal network"),
        ("https://10.0.0.5/psa", "private or internal network"),
        ("https://2130706433/x", "private or internal network"),
    ],
)
def test_the_form_refuses_with_a_clear_message(manager_client, url, words):
    response = manager_client.post("/webhooks/", {"url": url})
    assert response.status_code == 200
    assert not Webhook.objects.exists()
    assert words in response.content.decode()


def test_the_form_accepts_loopback_when_the_operator_allows_private_targets(
    manager_client, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    manager_client.post("/webhooks/", {"url": "http://localhost:9000/psa"})
    assert Webhook.objects.get().url == "http://localhost:9000/psa"
    manager_client.post("/webhooks/", {"url": "https://user:pw@psa.msp.example/"})
    assert Webhook.objects.count() == 1  # credentials stay refused


def test_idn_hosts_are_kept_and_shown_as_punycode(manager_client, db):
    manager_client.post("/webhooks/", {"url": "https://bücher.example/hook"})
    assert Webhook.objects.get().url == "https://xn--bcher-kva.example/hook"
    page = manager_client.get("/webhooks/").content.decode()
    assert "xn--bcher-kva.example" in page and "bücher" not in page


def test_a_stored_url_with_credentials_is_refused_at_delivery(listener, db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    delivery = delivery_to(f"http://user:pw@127.0.0.1:{listener.port}/hook")
    assert webhooks.deliver(delivery) is False
    delivery.refresh_from_db()
    assert listener.connections == [] and "user name or password" in delivery.error
