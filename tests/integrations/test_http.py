"""The outbound session and retry loop over real HTTPS (integrations/http.py)."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from integrations.errors import PermanentError, TransientError
from integrations.http import OutboundConfig, make_session, parse_retry_after, send
from tests.integrations.stub import answer


def call(session, config, url, **kwargs):
    return send(session, "GET", url, config=config, service="Test API", **kwargs)


def test_it_retries_after_429_with_fractional_retry_after(stub, session, config, fake_time):
    stub.on(
        "GET",
        "/x",
        answer(429, {"error": "slow"}, {"Retry-After": "2.128"}),
        answer(200, {"ok": 1}),
    )
    response = call(session, config, f"{stub.url}/x")
    assert response.json() == {"ok": 1}
    assert fake_time.sleeps == [2.128]
    assert len(stub.requests_to("/x")) == 2


def test_it_honours_retry_after_as_an_http_date(stub, session, config, fake_time):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    stub.on("GET", "/x", answer(503, None, {"Retry-After": when}), answer(200, {}))
    call(session, config, f"{stub.url}/x")
    assert 27 <= fake_time.sleeps[0] <= 30


def test_it_backs_off_with_full_jitter_without_retry_after(stub, session, config, fake_time):
    stub.on("GET", "/x", answer(503), answer(504), answer(429), answer(200, {}))
    call(session, config, f"{stub.url}/x")
    ceilings = [0.5, 1.0, 2.0]
    assert len(fake_time.sleeps) == 3
    assert all(0 <= slept <= cap for slept, cap in zip(fake_time.sleeps, ceilings, strict=True))


def test_it_gives_up_after_max_attempts(stub, session, config, fake_time):
    stub.on(
        "GET", "/x", answer(429, {"error": "busy"}, {"Retry-After": "1", "request-id": "rid-1"})
    )
    with pytest.raises(TransientError) as caught:
        call(session, config, f"{stub.url}/x")
    assert len(stub.requests_to("/x")) == config.max_attempts
    assert len(fake_time.sleeps) == config.max_attempts - 1
    error = caught.value
    assert (error.status, error.retry_after, error.request_id, error.service) == (
        429,
        1.0,
        "rid-1",
        "Test API",
    )


def test_it_gives_up_when_retry_after_exceeds_the_time_budget(stub, session, config, fake_time):
    stub.on("GET", "/x", answer(429, None, {"Retry-After": "120"}))
    with pytest.raises(TransientError) as caught:
        call(session, config, f"{stub.url}/x")
    assert caught.value.retry_after == 120
    assert fake_time.sleeps == []
    assert len(stub.requests_to("/x")) == 1


def test_it_stops_at_the_total_time_budget(stub, ca_bundle, fake_time):
    config = OutboundConfig(
        ca_bundle,
        max_attempts=100,
        max_total_seconds=10,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    stub.on("GET", "/x", answer(503, None, {"Retry-After": "3"}))
    with make_session(config) as session, pytest.raises(TransientError):
        call(session, config, f"{stub.url}/x")
    assert fake_time.sleeps == [3, 3, 3]


def test_it_does_not_retry_400(stub, session, config, fake_time):
    stub.on("GET", "/x", answer(400, {"error": "bad"}))
    assert call(session, config, f"{stub.url}/x").status_code == 400
    assert len(stub.requests_to("/x")) == 1
    assert fake_time.sleeps == []


def test_it_does_not_retry_500(stub, session, config):
    stub.on("GET", "/x", answer(500))
    assert call(session, config, f"{stub.url}/x").status_code == 500
    assert len(stub.requests_to("/x")) == 1


def test_it_does_not_repeat_a_non_idempotent_call_after_504(stub, session, config):
    stub.on("POST", "/x", answer(504))
    response = send(session, "POST", f"{stub.url}/x", config=config, service="T", idempotent=False)
    assert response.status_code == 504
    assert len(stub.requests_to("/x")) == 1


def test_it_repeats_a_non_idempotent_call_after_429(stub, session, config):
    stub.on("POST", "/x", answer(429, None, {"Retry-After": "0"}), answer(200, {}))
    send(session, "POST", f"{stub.url}/x", config=config, service="T", idempotent=False)
    assert len(stub.requests_to("/x")) == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_retries_connection_errors_then_raises_transient(session, config, fake_time):
    with pytest.raises(TransientError) as caught:
        call(session, config, f"https://127.0.0.1:{_closed_port()}/x")
    assert len(fake_time.sleeps) == config.max_attempts - 1
    assert "Could not reach Test API" in caught.value.message


def test_it_applies_the_default_timeout(stub, ca_bundle, fake_time):
    config = OutboundConfig(
        ca_bundle, timeout=0.2, max_attempts=1, sleep=fake_time.sleep, clock=fake_time.clock
    )
    stub.on("GET", "/slow", lambda seen: (time.sleep(1), answer(200, {}))[1])
    with make_session(config) as session, pytest.raises(TransientError) as caught:
        call(session, config, f"{stub.url}/slow")
    assert caught.value.code == "ReadTimeout"


def test_an_untrusted_certificate_is_a_permanent_error(stub, fake_time):
    config = OutboundConfig(None, sleep=fake_time.sleep, clock=fake_time.clock)
    with make_session(config) as session, pytest.raises(PermanentError) as caught:
        call(session, config, f"{stub.url}/x")
    assert caught.value.code == "tls_verification_failed"
    assert fake_time.sleeps == []


def test_requests_ca_bundle_in_the_environment_cannot_override_trust(
    stub, session, config, monkeypatch
):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    stub.on("GET", "/x", answer(200, {}))
    assert call(session, config, f"{stub.url}/x").status_code == 200


def test_it_sends_the_user_agent(stub, session, config):
    stub.on("GET", "/x", answer(200, {}))
    call(session, config, f"{stub.url}/x")
    assert stub.requests_to("/x")[0].headers["User-Agent"] == "msp-onboarding-portal/1.0"


def test_the_session_verifies_with_the_configured_ca(config, ca_bundle):
    session = make_session(config)
    assert session.verify == ca_bundle and session.trust_env is False
    assert make_session(OutboundConfig(None)).verify is True


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("2.128", 2.128), ("", None), (None, None), ("soon", None), ("-3", 0.0)],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date_in_the_past_is_zero():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_the_log_shows_path_status_and_request_id_not_query_or_headers(
    stub, session, config, caplog
):
    stub.on("GET", "/x", answer(200, {}, {"request-id": "rid-42"}))
    with caplog.at_level("INFO", logger="integrations.http"):
        send(
            session,
            "GET",
            f"{stub.url}/x?token=abc",
            config=config,
            service="T",
            headers={"Authorization": "Bearer SECRET-TOKEN"},
        )
    line = caplog.records[-1].getMessage()
    assert "GET /x -> 200" in line and "request-id=rid-42" in line
    assert "abc" not in caplog.text and "SECRET-TOKEN" not in caplog.text


def test_requests_exceptions_are_not_leaked(session, config):
    """Callers only ever see IntegrationError subclasses, never requests' own exceptions."""
    with pytest.raises(TransientError) as caught:
        call(session, config, f"https://127.0.0.1:{_closed_port()}/x")
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
