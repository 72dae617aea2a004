"""Pages and API answers that carry a live consent link are never stored by a cache (no-store)."""

import pytest

from onboarding.models import JobState, OnboardingJob
from tests.world import build_world


@pytest.fixture
def world(settings, technician):
    world = build_world(settings, technician)
    OnboardingJob.objects.filter(pk=world.job.pk).update(
        state=JobState.WAITING_CUSTOMER, current_step="customer_consent"
    )
    return world


def carrying_pages(world) -> list[tuple[str, dict]]:
    pk = world.job.pk
    return [
        (f"/jobs/{pk}/", {}),
        (f"/jobs/{pk}/progress/", {"HX-Request": "true"}),
        (f"/api/v1/onboardings/{pk}/", {}),
        ("/api/v1/onboardings/", {}),
        (f"/api/v1/tenants/{world.tenant.pk}/", {}),
    ]


def test_answers_with_a_consent_link_send_no_store(world, tech_client):
    checked = 0
    for path, headers in carrying_pages(world):
        response = tech_client.get(path, headers=headers)
        assert response.status_code == 200, path
        if world.consent_token not in response.content.decode():
            continue  # this answer carries no link (e.g. the tenant): nothing to protect
        checked += 1
        assert "no-store" in response.get("Cache-Control", ""), path
    assert checked >= 4  # the job page, its partial and both onboarding API answers carry the link
    # The customer's own page (its address is the token), and a page with no link, as it was.
    assert "no-store" in tech_client.get(f"/consent/{world.consent_token}/")["Cache-Control"]
    response = tech_client.get("/tenants/")
    assert response.status_code == 200 and world.consent_token not in response.content.decode()
    assert "no-store" not in response.get("Cache-Control", "")
