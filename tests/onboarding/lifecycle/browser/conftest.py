"""The browser fixtures of tests/browser (a real portal, worker and sandbox; headless Chromium)."""

from tests.browser.conftest import (  # noqa: F401
    _fresh_sandbox_and_a_live_worker,
    browser_problems,
    chromium,
    page,
    portal,
    pytest_runtest_makereport,
)
