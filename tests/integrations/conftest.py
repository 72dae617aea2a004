"""Fixtures: one HTTPS stub per test session, a fake clock, and clients wired to both."""

from __future__ import annotations

import pytest

from integrations.http import OutboundConfig, make_session
from integrations.microsoft import token as graph_token
from tests.integrations.stub import StubServer, start


class FakeTime:
    """Injected as sleep/clock: sleeping records the wait and moves the clock, instantly."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def _server(tmp_path_factory):
    stub = StubServer()
    server, thread, ca = start(stub, tmp_path_factory.mktemp("stub-ca"))
    yield stub, ca
    server.shutdown()
    thread.join(5)


@pytest.fixture
def stub(_server):
    stub, _ = _server
    stub.reset()
    yield stub
    stub.reset()


@pytest.fixture
def ca_bundle(_server) -> str:
    return str(_server[1])


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def config(ca_bundle, fake_time) -> OutboundConfig:
    return OutboundConfig(
        ca_bundle=ca_bundle, timeout=5, sleep=fake_time.sleep, clock=fake_time.clock
    )


@pytest.fixture
def session(config):
    with make_session(config) as session:
        yield session


@pytest.fixture(autouse=True)
def _fresh_msal_apps():
    """Each test gets new msal apps (and so an empty token cache and no OpenID configuration)."""
    graph_token.forget_everything()
    yield
    graph_token.forget_everything()
