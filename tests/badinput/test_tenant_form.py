"""The tenant form through the real view: whatever is posted, never a 500; a rejected form shows a
message
next to each bad field and saves nothing; an accepted one saves exactly one tenant."""

from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.models import AuditEvent
from tenants.models import ProofpointStack, Tenant
from tests.badinput.strategies import choice_or_junk, domains, nasty_text, numbers_as_text

FORM_PATH = "/tenants/new/"
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "name": nasty_text,
        "primary_domain": domains,
        "domains": st.one_of(domains, st.lists(domains, max_size=5).map("\n".join)),
        "customer_admin_name": nasty_text,
        "customer_admin_email": st.one_of(st.emails(), nasty_text),
        "proofpoint_stack": choice_or_junk([c.value for c in ProofpointStack]),
        "proofpoint_api_url": st.one_of(st.just("https://pp.partner.example/api/v1"), nasty_text),
        "proofpoint_portal_url": st.one_of(st.just("https://pp.partner.example"), nasty_text),
        "create_proofpoint_org": st.one_of(
            st.sampled_from(["on", "true", "false", ""]), nasty_text
        ),
        "default_role": choice_or_junk(["end_user", "silent_user"]),
        "sync_frequency_hours": choice_or_junk(["1", "3", "6", "12", "24"]),
        "allow_deletions": st.one_of(st.sampled_from(["on", ""]), nasty_text),
        "notes": nasty_text,
    },
)
SAFE_LIMITS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def rows() -> tuple[int, int]:
    return Tenant.objects.count(), AuditEvent.objects.count()


def assert_errors_next_to_fields(response):
    form = response.context["form"]
    html = response.content.decode()
    assert form.errors, "a re-shown form has errors"
    assert "Nothing was saved yet" in html
    for name, messages in form.errors.items():
        if name == "__all__":
            continue
        # crispy-bootstrap5 puts each message in an element tied to its field:
        # id="error_1_id_<field>"
        assert f'id="error_1_id_{name}"' in html, f"no message next to {name}: {messages}"
        assert 'class="is-invalid' in html or "is-invalid" in html


@SAFE_LIMITS
@given(data=FIELDS)
def test_any_post_to_the_new_tenant_form_is_answered_clearly(tech_client, data):
    cache.clear()
    before = rows()
    response = tech_client.post(FORM_PATH, data)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        tenant = Tenant.objects.latest("pk")
        assert rows()[0] == before[0] + 1 and response["Location"] == f"/tenants/{tenant.pk}/"
        tenant.delete()
        return
    assert rows() == before
    assert_errors_next_to_fields(response)


@SAFE_LIMITS
@given(data=FIELDS)
def test_any_post_to_the_edit_form_leaves_a_rejected_tenant_untouched(tech_client, tenant_a, data):
    before = Tenant.objects.values().get(pk=tenant_a.pk)
    response = tech_client.post(f"/tenants/{tenant_a.pk}/edit/", data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Tenant.objects.values().get(pk=tenant_a.pk) == before
        assert_errors_next_to_fields(response)
    else:
        Tenant.objects.filter(pk=tenant_a.pk).update(
            **{k: v for k, v in before.items() if k != "id"}
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=numbers_as_text)
def test_a_number_field_takes_only_the_offered_frequencies(tech_client, value):
    data = {
        "name": "N",
        "primary_domain": "numbers.example",
        "customer_admin_email": "a@numbers.example",
        "proofpoint_stack": "us1",
        "default_role": "end_user",
        "sync_frequency_hours": value,
    }
    response = tech_client.post(FORM_PATH, data)
    if value in ("1", "3", "6", "12", "24"):  # what the select offers, exactly
        assert response.status_code == 302
        Tenant.objects.filter(primary_domain="numbers.example").delete()
    else:
        assert response.status_code == 200
        assert "sync_frequency_hours" in response.context["form"].errors
        assert not Tenant.objects.filter(primary_domain="numbers.example").exists()
