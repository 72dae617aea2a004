"""Inputs from the attack run that got a 500, or a silent "no filter", now get a 400 (or a page
message)
with words (issue 12, item 3)."""

import pytest

from onboarding import engine
from onboarding.models import JobState, SyncReportRow
from tests.onboarding.api.conftest import token_client

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999999"


@pytest.fixture
def tech_api(technician):
    return token_client(technician)


@pytest.fixture
def review_job(tenant_a, technician, dispatched, settings):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.REVIEW"
    job = engine.start_job(tenant_a, technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.WAITING_REVIEW
    SyncReportRow.objects.create(
        job=job, email="ann@fabrikam.example", section="adding", kind="user"
    )
    return job


@pytest.mark.parametrize("row", [HUGE, "-1", "0", "2147483648"])
def test_the_page_refuses_a_row_id_out_of_range_with_a_message(tech_client, review_job, row):
    response = tech_client.post(f"/jobs/{review_job.pk}/report/exclude/", {"row": row}, follow=True)
    assert response.status_code == 200
    assert "Row ids are whole numbers from 1 to 2147483647" in response.content.decode()
    assert not SyncReportRow.objects.filter(job=review_job, excluded=True).exists()


def test_the_page_refuses_huge_ticked_ids_too(tech_client, review_job):
    response = tech_client.post(
        f"/jobs/{review_job.pk}/report/include/", {"ids": ["1", HUGE]}, follow=True
    )
    assert response.status_code == 200 and "Row ids are whole numbers" in response.content.decode()


@pytest.mark.parametrize(
    "path,query,field",
    [
        ("/api/v1/onboardings/", "state=", "state"),
        ("/api/v1/onboardings/", "tenant=", "tenant"),
        ("/api/v1/onboardings/{job}/report/", "ordering=", "ordering"),
        ("/api/v1/onboardings/{job}/report/", "section=", "section"),
        ("/api/v1/onboardings/{job}/report/", "licensed=yes", "licensed"),
        ("/api/v1/onboardings/", "page=abc", "page"),
        ("/api/v1/onboardings/", "page=", "page"),
        ("/api/v1/onboardings/", "page=0", "page"),
        ("/api/v1/tenants/", f"page={HUGE}", "page"),
        ("/api/v1/onboardings/{job}/report/", "page=-3", "page"),
    ],
)
def test_empty_or_garbage_parameters_are_400_with_words(tech_api, review_job, path, query, field):
    response = tech_api.get(path.format(job=review_job.pk) + "?" + query)
    assert response.status_code == 400, response.content
    messages = response.json()[field]
    assert messages and len(messages[0]) > 20


def test_a_page_past_the_last_is_still_404(tech_api, review_job):
    assert tech_api.get("/api/v1/onboardings/?page=99").status_code == 404
    assert tech_api.get("/api/v1/onboardings/?page=1").status_code == 200


def test_the_schema_states_the_rules(tech_api):
    schema = tech_api.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    selection = components["ReportSelectionRequest"]
    assert [option["required"] for option in selection["oneOf"]] == [["ids"], ["filter"]]
    tenant = components["TenantRequest"]
    assert tenant["additionalProperties"] is False
    assert "pattern" in tenant["properties"]["primary_domain"]
    assert "\\x00" in tenant["properties"]["name"]["pattern"]
    assert (
        "custom" not in tenant["properties"]["proofpoint_stack"]["enum"]
    )  # no white-label hosts listed
    page = next(
        p
        for p in schema["paths"]["/api/v1/onboardings/"]["get"]["parameters"]
        if p["name"] == "page"
    )
    assert page["schema"]["minimum"] == 1
