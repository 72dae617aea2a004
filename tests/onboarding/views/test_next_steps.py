"""Next steps as a checklist: each item can be ticked and the tick is saved, SPF and DKIM come from
stacks.json for the tenant's stack, and a one-page handout can be printed or emailed to the
customer's IT contact (HTML and text)."""

import re

import pytest
from django.core import mail

from onboarding.models import AuditEvent, JobState, NextStepTick
from onboarding.pipeline import StepKey
from tests.onboarding.views.helpers import internal_words, job_at, visible_text

pytestmark = pytest.mark.django_db


def page(client, tenant) -> str:
    return client.get(f"/tenants/{tenant.pk}/next-steps/").content.decode()


def checked(html: str, item_id: str) -> bool:
    match = re.search(rf'<input[^>]*id="tick-{item_id}"[^>]*>', html)
    assert match, item_id
    return " checked" in match.group(0)


def test_a_tick_is_saved_and_can_be_taken_back(tech_client, tenant_a, technician):
    job_at(tenant_a, technician, StepKey.ROUTING_COUNTDOWN, JobState.COMPLETED)
    assert not checked(page(tech_client, tenant_a), "transport_rule")
    response = tech_client.post(
        f"/tenants/{tenant_a.pk}/next-steps/tick/",
        {"item": "transport_rule", "done": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    tech_client.post(
        f"/tenants/{tenant_a.pk}/next-steps/tick/", {"item": "mx:fabrikam.example", "done": "on"}
    )
    html = page(tech_client, tenant_a)
    assert checked(html, "transport_rule") and checked(html, "mx-fabrikam-example")
    assert "2 of 6 ticked" in html
    tick = NextStepTick.objects.get(tenant=tenant_a, item="transport_rule")
    assert tick.done_by == technician
    tech_client.post(f"/tenants/{tenant_a.pk}/next-steps/tick/", {"item": "transport_rule"})
    assert not checked(page(tech_client, tenant_a), "transport_rule")


def test_an_unknown_item_is_refused(tech_client, tenant_a):
    response = tech_client.post(
        f"/tenants/{tenant_a.pk}/next-steps/tick/",
        {"item": "mx:evil.example", "done": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400 and not NextStepTick.objects.exists()


def test_every_item_has_something_to_copy_and_spf_dkim_follow_the_stack(tech_client, tenant_a):
    html = page(tech_client, tenant_a)
    assert html.count('class="btn btn-sm btn-outline-secondary copy-button"') >= 5
    text = visible_text(html)
    assert "v=spf1 include:spf.protection.outlook.com a:dispatch-us.ppe-hosted.com -all" in text
    assert "fabrikam.example. MX 10 mx1-us1.ppe-hosted.com." in text
    assert "DKIM" in text and "MX right now" in text
    tenant_a.proofpoint_stack = "eu1"
    tenant_a.save()
    assert "a:dispatch-eu.ppe-hosted.com" in visible_text(page(tech_client, tenant_a))


def test_the_printable_handout(tech_client, tenant_a):
    html = tech_client.get(f"/tenants/{tenant_a.pk}/next-steps/handout/").content.decode()
    text = visible_text(html)
    assert "Fabrikam: route your mail through Proofpoint Essentials" in text
    assert "New-OutboundConnector" in text and "mx2-us1.ppe-hosted.com" in text
    assert 'class="navbar' not in html and "data-print" in html


def test_the_handout_is_emailed_to_the_customer_it_contact(tech_client, tenant_a, technician):
    response = tech_client.post(f"/tenants/{tenant_a.pk}/next-steps/send/")
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["admin@fabrikam.example"] and message.reply_to == [technician.email]
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    for body in (message.body, visible_text(html)):
        assert "New-TransportRule" in body and "mx1-us1.ppe-hosted.com" in body
        assert "a:dispatch-us.ppe-hosted.com" in body
        assert internal_words(body) == []
    assert "Please wait until" in message.body  # the onboarding is not finished yet
    assert AuditEvent.objects.filter(action="next_steps.sent", tenant=tenant_a).exists()
