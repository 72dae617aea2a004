"""The review page, CSV, exclude/include (forms and htmx), approve and rebuild, and the next-steps
page."""

import pytest

from onboarding.models import AuditEvent, JobState, Step, SyncReportRow
from tests.onboarding.report.factories import add_rows, job_waiting_review


@pytest.fixture
def job(tenant_a, technician):
    job = job_waiting_review(tenant_a, technician)
    add_rows(job, 60)
    add_rows(job, 4, section="updating")
    add_rows(job, 3, section="deleting", kind="functional", licensed=False)
    add_rows(job, 2, section="exempt", guest=True, licensed=False)
    add_rows(job, 5, enabled=False, kind="functional")
    return job


def url(job, suffix=""):
    return f"/jobs/{job.pk}/report/{suffix}"


def test_the_page_shows_counts_filters_and_fifty_rows_a_page(tech_client, job):
    page = tech_client.get(url(job)).content.decode()
    assert "Adding <span" in page and ">65<" in page and ">74<" in page
    assert page.count('name="ids"') == 50
    assert (
        '<li class="page-item active" aria-current="page"><span class="page-link">1</span>' in page
    )
    assert 'page=2">2</a>' in page  # numbered pages


def test_filters_and_search_narrow_the_rows(tech_client, job):
    page = tech_client.get(url(job), {"section": "adding", "enabled": "false"}).content.decode()
    assert page.count('name="ids"') == 5 and "5 account(s) match" in page
    page = tech_client.get(url(job), {"search": "user00003"}).content.decode()
    assert page.count('name="ids"') == 1


def test_a_bad_filter_is_a_message_not_a_500(tech_client, job):
    response = tech_client.get(url(job), {"section": "nope", "ordering": "password"})
    assert response.status_code == 200 and "Filter ignored" in response.content.decode()


def test_the_page_runs_a_constant_number_of_queries(
    tech_client, job, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        tech_client.get(url(job))
    add_rows(job, 500)
    with django_assert_max_num_queries(10):
        response = tech_client.get(url(job), {"page": 3, "section": "adding"})
    assert response.status_code == 200


def test_exclude_everything_matching_a_filter_states_the_count(tech_client, job):
    page = tech_client.get(url(job), {"section": "adding", "kind": "functional"}).content.decode()
    assert "Exclude all 5 matching this filter" in page
    response = tech_client.post(
        url(job, "exclude/"),
        {
            "scope": "all",
            "section": "adding",
            "kind": "functional",
            "query": "section=adding&kind=functional",
        },
    )
    assert response.status_code == 302 and "section=adding" in response["Location"]
    assert SyncReportRow.objects.filter(job=job, excluded=True).count() == 5
    assert AuditEvent.objects.filter(job=job, action="report.excluded").exists()


def test_exclude_and_include_selected_rows(tech_client, job):
    ids = list(SyncReportRow.objects.filter(job=job).values_list("pk", flat=True)[:3])
    tech_client.post(url(job, "exclude/"), {"ids": ids})
    assert SyncReportRow.objects.filter(job=job, excluded=True).count() == 3
    tech_client.post(url(job, "include/"), {"ids": ids[:1]})
    assert SyncReportRow.objects.filter(job=job, excluded=True).count() == 2


def test_the_htmx_toggle_answers_with_the_row(tech_client, job):
    row = SyncReportRow.objects.filter(job=job).first()
    response = tech_client.post(
        url(job, "exclude/"), {"row": row.pk, "ids": [999999]}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert (
        response.status_code == 200
        and f'id="row-{row.pk}"' in body
        and "Excluded" in body
        and "Include" in body
    )
    assert SyncReportRow.objects.filter(job=job, excluded=True).count() == 1


def test_the_approval_confirmation_says_exactly_what_will_happen(tech_client, job):
    SyncReportRow.objects.filter(job=job, section="adding", enabled=False).update(excluded=True)
    page = tech_client.get(url(job)).content.decode()
    assert (
        "Approve and sync will add 60 account(s), update 4, exempt 5 excluded account(s) from the "
        "sync. "
        "Deletions are off for this tenant: 3 account(s) no longer in Entra ID will be left alone. "
        "2 account(s) already exempt from sync stay as they are."
    ) in page
    job.tenant.allow_deletions = True
    job.tenant.save()
    page = tech_client.get(url(job)).content.decode()
    assert "add 60 account(s), update 4, delete 3, exempt 5 excluded" in page


def test_approve_starts_the_import_and_makes_the_report_read_only(tech_client, job, dispatched):
    response = tech_client.post(url(job, "approve/"))
    assert response.status_code == 302
    assert Step.objects.get(job=job, key="review").data["approved_by"] == "alice"
    job.state = JobState.RUNNING
    job.save()
    page = tech_client.get(url(job)).content.decode()
    assert (
        'name="ids"' not in page and "Approve and sync" not in page and "Approved by alice" in page
    )
    response = tech_client.post(
        url(job, "exclude/"), {"ids": [SyncReportRow.objects.first().pk]}, follow=True
    )
    assert "only be changed while" in response.content.decode()


def test_rebuild_sends_the_job_back_to_build_report(tech_client, job, dispatched):
    tech_client.post(url(job, "rebuild/"))
    assert Step.objects.get(job=job, key="build_report").state == "pending"


def test_csv_streams_every_matching_row(tech_client, job):
    response = tech_client.get(f"/jobs/{job.pk}/report.csv", {"section": "updating"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("email,display_name,section") and len(lines) == 5


@pytest.mark.parametrize("path", ["report/", "report.csv"])
def test_outsiders_are_refused(outsider_client, job, path):
    assert outsider_client.get(f"/jobs/{job.pk}/{path}").status_code == 403


def test_outsiders_cannot_change_the_report(outsider_client, job):
    assert outsider_client.post(url(job, "approve/")).status_code == 403
    assert outsider_client.post(url(job, "exclude/"), {"scope": "all"}).status_code == 403


def test_next_steps_show_the_stack_records_and_commands(tech_client, tenant_a):
    page = tech_client.get(f"/tenants/{tenant_a.pk}/next-steps/").content.decode()
    assert "mx1-us1.ppe-hosted.com" in page and "outbound-us1.ppe-hosted.com" in page
    assert (
        "67.231.144.0/20,148.163.128.0/19" in page and "-SetSCL -1" in page and "RequireTls" in page
    )
    assert "not finished" in page


def test_next_steps_for_eu1_say_no_ranges_were_published(tech_client, tenant_a):
    tenant_a.proofpoint_stack = "eu1"
    tenant_a.save()
    page = tech_client.get(f"/tenants/{tenant_a.pk}/next-steps/").content.decode()
    assert "No published IP list was found for eu1" in page and "mx1-eu1.ppe-hosted.com" in page


def test_next_steps_are_staff_only(outsider_client, tenant_a):
    assert outsider_client.get(f"/tenants/{tenant_a.pk}/next-steps/").status_code == 403


def test_next_steps_cover_the_mail_domains_found_in_entra(tech_client, job):
    from onboarding.models import Step

    Step.objects.filter(job=job, key="build_report").update(
        data={"domains": ["fabrikam.example", "fab-mail.example"]}
    )
    page = tech_client.get(f"/tenants/{job.tenant.pk}/next-steps/").content.decode()
    # One checklist item per domain (its title, the tick's label and the records to copy), none
    # twice over.
    assert page.count("MX records of fab-mail.example") == 1
    assert page.count("MX records of fabrikam.example") == 1
    assert page.count("fab-mail.example.  MX  10  mx1-us1.ppe-hosted.com.") == 1
