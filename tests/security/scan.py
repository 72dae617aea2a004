"""Look for secret strings wherever the portal writes text a person or a log collector can read.

    leaks = scan_for_secrets(texts, {"customer app secret": app.secret})
    assert not leaks, leaks

`texts` is a mapping or pairs of (where, text), or plain strings; `secrets` a mapping of label ->
value
or plain values. A secret is also found in the encoded shapes it takes in HTML, URLs and JSON, so a
page
that escapes it is still caught. The collectors below gather the usual places: pages and API answers
fetched with a test client, emails (the demo outbox table and Django's mail.outbox), log lines as
the
configured handlers would emit them (after their redaction filters), a worker's log file, and every
plain text column in the database. End-to-end and chaos tests reuse them.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from django.apps import apps
from django.db import models

MIN_SECRET_LENGTH = 6  # anything shorter would match innocent text


@dataclass(frozen=True)
class Leak:
    secret: str  # the label, never the value: a failing test must not print the secret either
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.secret} found in {self.where}: ...{self.excerpt}..."


def _pairs(items) -> Iterator[tuple[str, str]]:
    if isinstance(items, Mapping):
        items = items.items()
    for index, item in enumerate(items):
        if isinstance(item, str):
            yield f"text #{index + 1}", item
        else:
            where, text = item
            yield str(where), "" if text is None else str(text)


def _labelled(secrets) -> dict[str, str]:
    pairs = (
        secrets.items()
        if isinstance(secrets, Mapping)
        else ((f"secret #{i + 1}", s) for i, s in enumerate(secrets))
    )
    chosen = {}
    for label, value in pairs:
        if not value:
            continue
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"{label} is shorter than {MIN_SECRET_LENGTH} characters: too short to scan for."
            )
        chosen[label] = value
    return chosen


def encodings(secret: str) -> set[str]:
    """The shapes a secret takes when a page, a URL or a JSON document carries it."""
    return {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
    }


def _masked_excerpt(text: str, start: int, length: int, width: int = 40) -> str:
    before = text[max(0, start - width) : start]
    after = text[start + length : start + length + width]
    return f"{before}[SECRET]{after}".replace("\n", " ")


def scan_for_secrets(texts, secrets) -> list[Leak]:
    """Every place one of `secrets` appears in `texts` (an empty list means nothing leaked)."""
    wanted = {label: encodings(value) for label, value in _labelled(secrets).items()}
    leaks = []
    for where, text in _pairs(texts):
        for label, shapes in wanted.items():
            for shape in shapes:
                start = text.find(shape)
                if start >= 0:
                    leaks.append(Leak(label, where, _masked_excerpt(text, start, len(shape))))
                    break
    return leaks


# --- collectors ---------------------------------------------------------------------------------


def response_texts(client, paths: Iterable[str], **extra) -> dict[str, str]:
    """GET each path with a test client (pages or API answers) and keep what came back."""
    found = {}
    for path in paths:
        response = client.get(path, **extra)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        headers = "\n".join(f"{k}: {v}" for k, v in response.items())
        found[f"GET {path} ({response.status_code})"] = (
            f"{headers}\n\n{body.decode(errors='replace')}"
        )
    return found


def outbox_texts() -> dict[str, str]:
    """Emails kept by the demo backend (OutboxMessage) and by Django's test backend
    (mail.outbox)."""
    from django.core import mail

    from onboarding.models import OutboxMessage

    found = {}
    for message in OutboxMessage.objects.all():
        found[f"OutboxMessage {message.pk} {message.subject!r}"] = "\n".join(
            [message.to, message.subject, message.body_text, message.body_html]
        )
    for index, message in enumerate(getattr(mail, "outbox", [])):
        parts = [", ".join(message.to), message.subject, message.body]
        parts += [str(content) for content, _ in getattr(message, "alternatives", [])]
        parts += [f"{k}: {v}" for k, v in message.extra_headers.items()]
        found[f"mail.outbox[{index}] {message.subject!r}"] = "\n".join(parts)
    return found


class _Collect(logging.Handler):
    def __init__(self, filters: list, formatter: logging.Formatter | None):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        for each in filters:
            self.addFilter(each)
        self.setFormatter(formatter or logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        if record.exc_info and record.exc_text is None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@contextmanager
def captured_log_lines(level: int = logging.DEBUG):
    """Every log line emitted inside the block, as the configured handlers write it (their filters
    applied, so the redaction filter has its chance). Yields the list, filled as lines arrive."""
    root = logging.getLogger()
    configured = [h for h in root.handlers if not isinstance(h, _Collect)]
    filters = [f for h in configured for f in h.filters]
    handler = _Collect(filters, configured[0].formatter if configured else None)
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(min(level, old_level or level))
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def log_texts(lines: list[str], where: str = "log") -> dict[str, str]:
    return {f"{where} line {index + 1}": line for index, line in enumerate(lines)}


def worker_log_texts(worker) -> dict[str, str]:
    """A tests.worker.Worker's (or any process fixture's) log file."""
    return {f"worker log {worker.log_path.name}": worker.output()}


def database_texts(
    app_labels: Iterable[str] = ("tenants", "onboarding", "accounts", "auth"),
) -> dict[str, str]:
    """Every plain text and JSON column of our apps. Encrypted fields are skipped: through the ORM
    they
    read back as the secret they rightly hold (the database itself holds only ciphertext)."""
    from tenants.fields import EncryptedTextField

    found = {}
    for label in app_labels:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models():
            names = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField | models.JSONField)
                and not isinstance(f, EncryptedTextField)
            ]
            if model._meta.label == "auth.User":
                names = [n for n in names if n != "password"]  # a salted hash, never the password
            for row in model.objects.values("pk", *names).iterator():
                found[f"{model._meta.label} pk={row.pop('pk')}"] = json.dumps(
                    row, default=str, ensure_ascii=False
                )
    return found
