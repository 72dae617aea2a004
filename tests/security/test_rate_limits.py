"""The customer's public consent pages are rate-limited per address, so nobody can guess tokens or
hammer
the callback; one noisy address does not lock out another."""

import pytest
from django.core.cache import cache

from tests.security.routes import find_route

BURST = 60  # well above the consent pages' 30 a minute


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()  # the limiter counts in the default cache, which outlives a test
    yield
    cache.clear()


def public_path(name: str, query: str = "") -> str:
    path = find_route(name)
    if path is None:
        pytest.skip(f"the {name} page does not exist yet")
    return path + query


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("consent-landing", ""),
        ("consent-callback", "?state=forged&admin_consent=True&tenant=x"),
    ],
)
def test_a_burst_from_one_address_is_stopped_with_429(client, db, name, query):
    path = public_path(name, query)
    statuses = [client.get(path, REMOTE_ADDR="203.0.113.7").status_code for _ in range(BURST)]
    assert 429 in statuses, statuses
    first_refusal = statuses.index(429)
    assert 5 <= first_refusal <= 50, f"refused after {first_refusal} requests"
    assert set(statuses[first_refusal:]) == {429}
    refused = client.get(path, REMOTE_ADDR="203.0.113.7")
    assert "Too many requests" in refused.content.decode()


def test_another_address_is_still_served(client, db):
    path = public_path("consent-landing")
    for _ in range(BURST):
        client.get(path, REMOTE_ADDR="203.0.113.7")
    assert client.get(path, REMOTE_ADDR="198.51.100.20").status_code != 429


def test_the_start_button_is_limited_too(client, db):
    path = public_path("consent-go")
    statuses = [client.post(path, REMOTE_ADDR="203.0.113.9").status_code for _ in range(BURST)]
    assert 429 in statuses or set(statuses) == {403}, (
        statuses
    )  # a POST without CSRF is refused anyway


def test_behind_the_proxy_each_customer_is_counted_by_their_own_address(db, settings):
    """The proxy is REMOTE_ADDR for everyone; the limiter must count the address the proxy saw."""
    from django.test import Client

    from portal.middleware import ClientAddressMiddleware

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.MIDDLEWARE = list(settings.MIDDLEWARE)  # rebuilt handler picks the setting up
    assert ClientAddressMiddleware(lambda r: r).trust_forwarded
    path = public_path("consent-landing")
    proxied = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(BURST):
        proxied.get(
            path, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7"
        )  # "1.2.3.4" is forged by the client
    assert proxied.get(path, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert proxied.get(path, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.20").status_code != 429
    assert proxied.get(path, HTTP_X_FORWARDED_FOR="198.51.100.20").status_code != 429
