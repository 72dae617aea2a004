"""Browser fixtures: `portal` (the real thing, see harness.py), `chromium` and `page` (Playwright's
sync
API on Debian's /usr/bin/chromium, headless), `browser_problems` (console errors and CSP violations
the
page reported). A failing test leaves a screenshot of its page in test-artifacts/browser/."""

from __future__ import annotations

import os

import pytest

from tests.browser.harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, start_portal, stop_portal
from tests.worker import Worker, flush_while_a_worker_runs

# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make in between
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPORT_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def pytest_collection_modifyitems(config, items):
    """Everything in this folder drives a browser: mark it, and say why it is skipped without
    Chromium."""
    reason = None
    if not CHROMIUM.exists():
        reason = (
            f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; CI installs it)"
        )
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[dev]')"
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# Package scope: its worker's sweeper would otherwise go on waking jobs of later tests in the shared
# test database, and run them with this portal's pipeline.
@pytest.fixture(scope="package")
def portal(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        running = start_portal(tmp_path_factory.mktemp("browser-sandbox"))
    yield running
    stop_portal(running)


@pytest.fixture(autouse=True)
def _fresh_sandbox_and_a_live_worker(request):
    if "portal" not in request.fixturenames:
        yield
        return
    running = request.getfixturevalue("portal")
    running.sandbox_admin.reset()
    if running.worker.process.poll() is not None:
        # kombu's file-system broker can hand the worker a half-written message (JSONDecodeError)
        # and kill
        # it; Redis (CI) does not. Say so, and start a fresh worker rather than fail every later
        # test.
        print(
            "the worker had died; restarting it. Its last "
            f"words:\n{running.worker.output()[-1500:]}"
        )
        running.worker.stop()
        running.worker = Worker(
            env=running.worker.env, concurrency=running.worker.concurrency
        ).start()
    yield
    # This fixture is torn down before pytest-django's flush (its database fixture was set up
    # first), while the worker may still be writing.
    flush_while_a_worker_runs()


@pytest.fixture(scope="package")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_problems():
    """Console errors, page errors and CSP violations, as text; a test asserts it stays empty."""
    return []


def _note_console(message, problems: list) -> None:
    source = (message.location or {}).get("url", "")
    if message.type != "error" or source.endswith("/favicon.ico"):
        return  # the browser asks for a favicon on its own; the portal has none to offer
    problems.append(f"console.{message.type}: {message.text} ({source})")


@pytest.fixture
def page(chromium, request, browser_problems):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_CSP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # data-confirm buttons ask; people say yes here (a test that answers itself removes this
    # listener).
    page._portal_accept_dialog = lambda dialog: dialog.accept()
    page.on("dialog", page._portal_accept_dialog)
    page.on("console", lambda msg: _note_console(msg, browser_problems))
    page.on("pageerror", lambda error: browser_problems.append(f"page error: {error}"))
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
        except Exception as error:  # noqa: BLE001  the page may be gone; the test's own error matters more
            print(f"no failure screenshot: {error}")
        portal = request.node.funcargs.get("portal")
        if portal is not None:
            print(portal.diagnostics())
    context.close()
