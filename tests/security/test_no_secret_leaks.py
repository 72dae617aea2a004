"""No secret shows up in a page, an API answer, an email, a log line or a plain database column.

The world holds every kind of secret the portal keeps (the customer's sync app secret, the MSP app
secret, the Proofpoint password, SECRET_KEY and the Fernet keys, a consent token); the test walks
every
page and API route, sends the consent email, and scans what came out with tests/security/scan.py.
"""

import logging

import pytest

from accounts.tokens import issue_token
from onboarding.consent import links
from tests.security.routes import api_routes, page_routes
from tests.security.scan import (
    Leak,
    captured_log_lines,
    database_texts,
    log_texts,
    outbox_texts,
    response_texts,
    scan_for_secrets,
)
from tests.world import build_world, client_for


@pytest.fixture
def world(settings, technician, dispatched):
    return build_world(settings, technician)


def test_pages_api_emails_logs_and_database_carry_no_secret(world, technician, manager, mailoutbox):
    texts: dict[str, str] = {}
    with captured_log_lines() as lines:
        logging.getLogger("onboarding").info(
            "client_secret=%s", world.secrets["MSP app secret"]
        )  # redacted
        for who in (technician, manager):
            pages = response_texts(client_for(who), [path for path, _ in page_routes(world.ids)])
            texts.update({f"{who.username} {where}": text for where, text in pages.items()})
        token_key = issue_token(technician)[1]
        answers = response_texts(
            client_for(technician),
            [p for p, _ in api_routes(world.ids)],
            HTTP_AUTHORIZATION=f"Token {token_key}",
        )
        texts.update(answers)
        links.issue_link(world.job, "msp_app", actor=technician)
    assert mailoutbox, "the consent email was sent"
    texts.update(outbox_texts())
    assert len(texts) > 30
    leaks = scan_for_secrets(texts, world.secrets)
    private = scan_for_secrets(
        {**log_texts(lines), **database_texts()},
        {**world.secrets, "consent link token": world.consent_token},
    )
    assert not leaks + private, "\n".join(map(str, leaks + private))


def test_the_scanner_finds_a_secret_in_every_shape_it_takes():
    secret = "s3cr&t/with+odd chars"
    texts = {
        "html": "<td>s3cr&amp;t/with+odd chars</td>",
        "url": "?x=s3cr%26t%2Fwith%2Bodd%20chars",
        "form": "x=s3cr%26t%2Fwith%2Bodd+chars",
        "json": '{"a": "s3cr&t/with+odd chars"}',
        "clean": "nothing",
    }
    leaks = scan_for_secrets(texts, {"the secret": secret})
    assert sorted(leak.where for leak in leaks) == ["form", "html", "json", "url"]
    assert all(secret not in str(leak) for leak in leaks), (
        "a report must not print the secret itself"
    )


def test_the_scanner_refuses_secrets_too_short_to_mean_anything():
    with pytest.raises(ValueError):
        scan_for_secrets(["abc"], ["abc"])
    assert scan_for_secrets(["anything"], ["", None]) == []


def test_log_capture_sees_lines_as_the_configured_handlers_write_them():
    with captured_log_lines() as lines:
        logging.getLogger("integrations").warning("Authorization: Bearer abcdefghijklmnop1234")
    assert lines and scan_for_secrets(log_texts(lines), ["abcdefghijklmnop1234"]) == []


def test_a_leak_reports_where_but_never_what():
    leak = scan_for_secrets({"GET /x (200)": "key=hunter2hunter2;"}, {"the key": "hunter2hunter2"})[
        0
    ]
    assert leak == Leak("the key", "GET /x (200)", "key=[SECRET];")
