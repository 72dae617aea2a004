"""Chaos options: `--chaos-full` runs the long version (40 tenants) that `make chaos` asks for;
without
it the small version (6 tenants) runs inside `make test`. Both are marked `chaos` (not
deselected)."""

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--chaos-full",
        action="store_true",
        default=False,
        help="chaos tests: the long run (40 tenants) instead of the small one (6)",
    )


@pytest.fixture
def chaos_full(request) -> bool:
    return bool(request.config.getoption("--chaos-full", default=False))


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--chaos-full", default=False):
        return
    for item in items:  # the long run needs more than the suite's 300 s default
        if item.get_closest_marker("chaos"):
            item.add_marker(pytest.mark.timeout(1800))
