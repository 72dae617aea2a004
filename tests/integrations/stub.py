"""A tiny scripted HTTPS server for client tests: real TLS (a throwaway CA), real sockets.

Tests script answers per (method, path) and read back what was sent. It is deliberately dumb:
the vendor behaviour under test is written in each test, next to its assertion.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import ssl
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: str  # raw, undecoded query string
    headers: dict
    body: bytes
    raw_uri: str = ""

    def json(self):
        return json.loads(self.body)

    @property
    def form(self) -> dict:
        from urllib.parse import parse_qs

        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


def answer(status=200, body=None, headers=None):
    """A scripted answer: JSON body unless `body` is bytes/str."""
    if body is None:
        return Response(b"", status=status, headers=headers or {})
    if isinstance(body, bytes | str):
        return Response(body, status=status, headers=headers or {}, mimetype="text/plain")
    return Response(
        json.dumps(body), status=status, headers=headers or {}, mimetype="application/json"
    )


class StubServer:
    """Routes (method, path) to a queue of answers; the last answer repeats."""

    def __init__(self):
        self.routes: dict[tuple[str, str], list] = defaultdict(list)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self.url = ""

    def reset(self):
        with self._lock:
            self.routes.clear()
            self.seen.clear()

    def on(self, method: str, path: str, *answers):
        """Script answers: Response objects or callables (Seen) -> Response."""
        self.routes[(method, path)].extend(answers)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def __call__(self, environ, start_response):
        request = Request(environ)
        seen = Seen(
            request.method,
            request.path,
            environ.get("QUERY_STRING", ""),
            dict(request.headers),
            request.get_data(),
            environ.get("RAW_URI", ""),
        )
        with self._lock:
            self.seen.append(seen)
            queue = self.routes.get((request.method, request.path))
            step = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
        if step is None:
            response = answer(599, {"stub": f"no route for {request.method} {request.path}"})
        else:
            response = step(seen) if callable(step) and not isinstance(step, Response) else step
        return response(environ, start_response)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject, issuer, public_key, signing_key, *, ca: bool, san=None):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key) for localhost and 127.0.0.1, signed by a fresh CA."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _cert(
        _name("stub test CA"), _name("stub test CA"), ca_key.public_key(), ca_key, ca=True
    )
    key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = _cert(_name("localhost"), ca_cert.subject, key.public_key(), ca_key, ca=False, san=san)
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def start(stub: StubServer, directory: Path):
    """Serve `stub` over HTTPS on a free port; returns (server, thread, ca_path)."""
    # The server's own access log is the vendor's side, not ours: keep it out of caplog.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ca, cert, key = make_certificates(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, stub, threaded=True, ssl_context=context)
    stub.url = f"https://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, ca
