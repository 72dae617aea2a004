"""Keyboard only, in Chromium: sign in, skip to the content, reach "New tenant", fill the form from
its
focused first field, "Save and start onboarding", then answer a confirmation modal with the
keyboard."""

from __future__ import annotations

import re

import pytest

from onboarding.models import ConsentLink, OnboardingJob
from tests.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, text: str, limit: int = 60) -> None:
    """Press Tab until the focused element's text (or value) is `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(document.activeElement.innerText || document.activeElement.value || '').trim()"
        )
        if focused == text:
            return
    raise AssertionError(f"{text!r} cannot be reached with Tab")


def test_a_technician_onboards_with_the_keyboard_alone(portal, page, technician, browser_problems):
    page.goto(portal.url("/login/"))
    page.keyboard.type(technician.get_username())  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    tab_to(page, "New tenant")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id_name"
    page.keyboard.type("Fabrikam")
    page.keyboard.press("Tab")
    page.keyboard.type("fabrikam.example")
    page.keyboard.press("Tab")  # further domains
    page.keyboard.press("Tab")  # admin name
    page.keyboard.press("Tab")
    page.keyboard.type("admin@fabrikam.example")
    tab_to(page, "Save and start onboarding")
    with page.expect_navigation(url=re.compile(r".*/jobs/\d+/$")):
        page.keyboard.press("Enter")
    job = OnboardingJob.objects.get(tenant__primary_domain="fabrikam.example")
    page.locator(".action-resend").wait_for(timeout=60_000)
    first = ConsentLink.objects.get(job=job)

    tab_to(page, "Resend consent link")
    page.keyboard.press("Enter")
    page.locator("#confirm-modal.show .confirm-yes:focus").wait_for()  # the modal takes the focus
    portal.snap(page, "keyboard-01-resend-modal")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert ConsentLink.objects.filter(job=job).exclude(pk=first.pk).count() == 1, (
        "no new link was sent"
    )
    assert browser_problems == [], browser_problems
