"""The sync report over the API: filters, search, ordering, summary, exclude/include, approve."""

import pytest

from onboarding import engine
from onboarding.models import AuditEvent, JobState, SyncReportRow

ROW_KEYS = {
    "id",
    "email",
    "display_name",
    "section",
    "kind",
    "licensed",
    "enabled",
    "guest",
    "aliases",
    "excluded",
}


@pytest.fixture
def review_job(tenant_a, technician, dispatched, settings):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.REVIEW"
    job = engine.start_job(tenant_a, technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.WAITING_REVIEW
    rows = [
        ("ann@fabrikam.example", "Ann", "adding", "user", True, True, False),
        ("bob@fabrikam.example", "Bob", "adding", "user", False, True, False),
        ("info@fabrikam.example", "Info box", "updating", "functional", False, True, False),
        ("sales@fabrikam.example", "Sales", "exempt", "group", False, True, False),
        ("guest@fabrikam.example", "Guest", "deleting", "user", False, False, True),
    ]
    SyncReportRow.objects.bulk_create(
        SyncReportRow(
            job=job,
            email=e,
            display_name=n,
            section=s,
            kind=k,
            licensed=lic,
            enabled=en,
            guest=g,
            aliases=[f"alias-{e}"],
        )
        for e, n, s, k, lic, en, g in rows
    )
    return job


def emails(response):
    assert response.status_code == 200, response.content
    return [row["email"].split("@")[0] for row in response.json()["results"]]


def test_list_filter_search_order(tech_api, review_job):
    url = f"/api/v1/onboardings/{review_job.pk}/report/"
    body = tech_api.get(url).json()
    assert body["count"] == 5 and set(body["results"][0]) == ROW_KEYS
    assert emails(tech_api.get(url, {"section": "adding"})) == ["ann", "bob"]
    assert emails(tech_api.get(url, {"licensed": "true"})) == ["ann"]
    assert emails(tech_api.get(url, {"guest": "false", "kind": "user"})) == ["ann", "bob"]
    assert emails(tech_api.get(url, {"search": "box"})) == ["info"]
    assert emails(tech_api.get(url, {"ordering": "-email"}))[0] == "sales"


@pytest.mark.parametrize(
    "query,field",
    [
        ({"section": "nope"}, "section"),
        ({"licensed": "maybe"}, "licensed"),
        ({"ordering": "password"}, "ordering"),
        ({"search": "x" * 500}, "search"),
        ({"search": "a\x00b"}, "search"),
        ({"sectoin": "adding"}, "sectoin"),  # a typo is refused, not ignored
        ({"": "false"}, "(no name)"),
    ],
)
def test_bad_filters_are_400_naming_the_field(tech_api, review_job, query, field):
    response = tech_api.get(f"/api/v1/onboardings/{review_job.pk}/report/", query)
    assert response.status_code == 400 and field in response.json()


def test_summary(tech_api, review_job):
    body = tech_api.get(f"/api/v1/onboardings/{review_job.pk}/report/summary/").json()
    assert body["sections"] == {"adding": 2, "updating": 1, "deleting": 1, "exempt": 1}
    assert body["total"] == 5 and body["excluded_total"] == 0


def test_exclude_and_include_by_ids_and_by_filter(tech_api, review_job, technician):
    base = f"/api/v1/onboardings/{review_job.pk}/report/"
    ann = SyncReportRow.objects.get(email__startswith="ann").pk
    assert tech_api.post(base + "exclude/", {"ids": [ann]}, format="json").json() == {"changed": 1}
    assert tech_api.post(base + "exclude/", {"ids": [ann]}, format="json").json() == {"changed": 0}
    assert tech_api.post(
        base + "exclude/", {"filter": {"section": "adding"}}, format="json"
    ).json() == {"changed": 1}
    assert emails(tech_api.get(base, {"excluded": "true"})) == ["ann", "bob"]
    assert tech_api.post(base + "include/", {"filter": {}}, format="json").json() == {"changed": 2}
    assert tech_api.get(base + "summary/").json()["excluded_total"] == 0
    event = AuditEvent.objects.filter(action="report.excluded").first()
    assert event.via_api and event.actor == technician


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": "1"},
        {"ids": ["x"]},
        {"ids": [10**30]},
        {"ids": [1], "filter": {}},
        {"filter": {"licensed": "maybe"}},
        {"filter": "adding"},
        [1, 2],
        "x",
        {"filter": {"section": 5}},
    ],
)
def test_bad_selections_are_400(tech_api, review_job, body):
    response = tech_api.post(
        f"/api/v1/onboardings/{review_job.pk}/report/exclude/", body, format="json"
    )
    assert response.status_code == 400, response.content


def test_approve_is_202_then_409(tech_api, review_job):
    response = tech_api.post(f"/api/v1/onboardings/{review_job.pk}/approve/")
    assert response.status_code == 202
    assert review_job.steps.get(key="review").data["approved_by"] == "alice"
    review_job.tenant.notes = "approved"  # what tests.pipelines.REVIEW's step looks for
    review_job.tenant.save()
    engine.run_job(review_job.pk)
    again = tech_api.post(f"/api/v1/onboardings/{review_job.pk}/approve/")
    assert again.status_code == 409 and "detail" in again.json()
    assert AuditEvent.objects.get(action="report.approved").via_api


def test_changing_the_report_outside_review_is_409(tech_api, tenant_a, quick):
    job = engine.start_job(tenant_a)
    response = tech_api.post(
        f"/api/v1/onboardings/{job.pk}/report/exclude/", {"ids": [1]}, format="json"
    )
    assert response.status_code == 409


def test_the_report_list_runs_a_constant_number_of_queries(
    tech_api, review_job, django_assert_max_num_queries
):
    SyncReportRow.objects.bulk_create(
        SyncReportRow(job=review_job, email=f"u{i}@fabrikam.example", section="adding", kind="user")
        for i in range(200)
    )
    with django_assert_max_num_queries(6):
        assert (
            len(tech_api.get(f"/api/v1/onboardings/{review_job.pk}/report/").json()["results"])
            == 50
        )
