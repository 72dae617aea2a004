"""The report explains itself: counts net of exclusions (tabs, summary, job page), what the import
did, exempt rows that cannot be excluded again, a reason and a status on every row, numbered pages,
thousands separators, and the org's licences against the billable accounts before approval."""

import re

import pytest
from django.core.cache import cache

from onboarding.models import ImportState, JobState, Section, Step, StepState, SyncReportRow
from onboarding.report import queries as rq
from tests.onboarding.report.factories import add_rows, job_waiting_review
from tests.onboarding.views.helpers import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_org_figures():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def job(tenant_a, technician):
    job = job_waiting_review(tenant_a, technician)
    add_rows(job, 40)
    add_rows(job, 2, section="exempt", guest=True, licensed=False)
    add_rows(job, 3, kind="functional", enabled=False, proofpoint_type="functional_account")
    add_rows(
        job,
        2,
        kind="functional",
        enabled=True,
        licensed=False,
        proofpoint_type="functional_account",
    )
    return job


def report(client, job, **params) -> str:
    response = client.get(f"/jobs/{job.pk}/report/", params)
    assert response.status_code == 200
    return response.content.decode()


def exclude_users(job, count: int) -> list[int]:
    ids = list(
        SyncReportRow.objects.filter(job=job, section=Section.ADDING, kind="user")
        .order_by("email")
        .values_list("pk", flat=True)[:count]
    )
    assert rq.set_excluded(job, excluded=True, ids=ids) == count
    return ids


def test_tab_counts_and_summary_follow_exclusions(tech_client, job):
    exclude_users(job, 4)
    page = report(tech_client, job)
    text = visible_text(page)
    assert "Adding 41 · 4 excluded" in text  # 45 to add, 4 of them excluded
    assert re.search(r"Adding <span class=\"badge[^\"]*\">41</span> <span[^>]*>· 4 excluded", page)
    job_page = visible_text(tech_client.get(f"/jobs/{job.pk}/").content.decode())
    assert "Adding 41 · 4 excluded" in job_page


def test_an_in_place_exclusion_sends_fresh_tabs_out_of_band(tech_client, job):
    row = SyncReportRow.objects.filter(job=job, section=Section.ADDING).first()
    response = tech_client.post(
        f"/jobs/{job.pk}/report/exclude/",
        {"row": row.pk, "query": "section=adding"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'id="report-tabs" hx-swap-oob="true"' in body
    assert "· 1 excluded" in body and "Adding 44 · 1 excluded" in visible_text(body)


def test_after_the_import_the_summary_says_what_was_done(tech_client, job):
    excluded = exclude_users(job, 4)
    rows = SyncReportRow.objects.filter(job=job)
    rows.filter(section=Section.ADDING, excluded=False).update(import_state=ImportState.DONE)
    rows.filter(pk__in=excluded).update(import_state=ImportState.SKIPPED)
    Step.objects.filter(job=job, key__in=["review", "import_accounts"]).update(
        state=StepState.SUCCEEDED
    )
    job.state = JobState.COUNTDOWN
    job.save()
    assert "Imported: 41 added, 0 updated, 4 exempted." in visible_text(report(tech_client, job))
    job_page = visible_text(tech_client.get(f"/jobs/{job.pk}/").content.decode())
    assert "Imported: 41 added, 0 updated, 4 exempted." in job_page and "Adding 41" not in job_page


def test_exempt_rows_cannot_be_excluded_again(tech_client, job):
    exempt = list(
        SyncReportRow.objects.filter(job=job, section=Section.EXEMPT).values_list("pk", flat=True)
    )
    assert rq.set_excluded(job, excluded=True, ids=exempt) == 0
    assert rq.set_excluded(job, excluded=True, filters={"section": "exempt"}) == 0
    page = report(tech_client, job, section="exempt")
    assert "Exclude</button>" not in page and 'name="ids"' not in page


def test_each_row_says_why_it_is_there_and_what_will_happen(tech_client, job):
    exclude_users(job, 1)
    text = visible_text(report(tech_client, job))
    assert "guest: never imported" in text
    assert "sign-in blocked: functional account, so mail keeps flowing" in text
    assert "shared or unlicensed mailbox: functional account, not billed" in text
    assert "licensed and enabled: a billable user" in text
    assert (
        "Will be added" in text
        and "Excluded: will be exempt from sync" in text
        and "Left alone" in text
    )


def test_numbered_pages_and_thousands_separators(tech_client, job):
    add_rows(job, 1200)
    page = report(tech_client, job)
    assert ">1,247<" in page and ">1,245<" in page  # All, Adding
    assert 'page=2">2</a>' in page and 'page=25">25</a>' in page and "…" in page


def test_the_licences_warn_before_approval_when_the_accounts_will_not_fit(
    tech_client, job, tenant_a
):
    cache.set(f"report-org-figures:{tenant_a.pk}", {"user_licenses": 30, "active_users": 0}, 60)
    page = visible_text(report(tech_client, job))
    assert (
        "Not enough licences: about 40 billable users" in page
        and "30 licences: 10 too many" in page
    )
    assert "will not fit the org's 30 licences" in page  # in the approve confirmation too
    exclude_users(job, 10)
    page = visible_text(report(tech_client, job))
    assert "Not enough licences" not in page
    assert (
        "Licences: about 30 billable users after the sync" in page
        and "of the org's 30 licences" in page
    )
