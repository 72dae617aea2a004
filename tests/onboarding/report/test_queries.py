"""The report's filters, summary, exclude/include, approve and rebuild
(onboarding.report_queries)."""

import pytest
from django.http import QueryDict

from onboarding.engine.errors import NotAllowedNow
from onboarding.models import AuditEvent, JobState, Step, StepState, SyncReportRow
from onboarding.report import queries as rq
from tests.onboarding.report.factories import add_rows, job_waiting_review


@pytest.fixture
def job(tenant_a, technician):
    job = job_waiting_review(tenant_a, technician)
    add_rows(job, 5)
    add_rows(job, 3, section="updating")
    add_rows(job, 2, section="deleting", kind="functional", licensed=False)
    add_rows(job, 1, section="exempt", guest=True, licensed=False)
    add_rows(job, 2, enabled=False, kind="functional")
    return job


def rows(job, params):
    return rq.filter_rows(SyncReportRow.objects.filter(job=job), params)


def test_it_filters_by_section_kind_and_booleans_from_a_query_string(job):
    assert rows(job, QueryDict("section=adding")).count() == 7
    assert rows(job, QueryDict("section=adding&kind=functional")).count() == 2
    assert rows(job, QueryDict("enabled=false")).count() == 2
    assert rows(job, QueryDict("guest=true")).count() == 1
    assert rows(job, {"licensed": False}).count() == 3
    assert rows(job, {"section": ""}).count() == 13


def test_it_searches_email_and_display_name(job):
    assert rows(job, {"search": "user00003"}).count() == 1
    assert rows(job, {"search": "USER 0000"}).count() == 10


def test_it_orders_by_whitelisted_fields_only(job):
    first = rows(job, {"ordering": "-email"}).first()
    assert first.email.startswith("user00012")
    with pytest.raises(rq.ReportFilterError) as error:
        rows(job, {"ordering": "import_error"})
    assert error.value.field == "ordering"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"section": "nope"}, "section"),
        ({"kind": "admin"}, "kind"),
        ({"excluded": "maybe"}, "excluded"),
        ({"search": "x" * 500}, "search"),
    ],
)
def test_bad_values_raise_a_clear_filter_error(job, params, field):
    with pytest.raises(rq.ReportFilterError) as error:
        rows(job, params)
    assert error.value.field == field and isinstance(error.value, ValueError)


def test_summary_counts_sections_and_exclusions_in_one_query(job, django_assert_num_queries):
    SyncReportRow.objects.filter(job=job, section="updating").update(excluded=True)
    with django_assert_num_queries(1):
        counts = rq.summary(job)
    assert counts["sections"] == {"adding": 7, "updating": 3, "deleting": 2, "exempt": 1}
    assert counts["excluded"]["updating"] == 3 and counts["excluded"]["adding"] == 0
    assert counts["total"] == 13 and counts["excluded_total"] == 3


def test_exclude_by_ids_and_by_filter_counts_changes_and_audits(job, technician):
    ids = list(SyncReportRow.objects.filter(job=job).values_list("pk", flat=True)[:2])
    assert rq.set_excluded(job, excluded=True, ids=ids, actor=technician) == 2
    assert rq.set_excluded(job, excluded=True, ids=ids, actor=technician) == 0
    assert rq.set_excluded(job, excluded=True, filters={"section": "adding"}, actor=technician) == 5
    assert (
        rq.set_excluded(job, excluded=False, filters={"section": "adding"}, actor=technician) == 7
    )
    assert AuditEvent.objects.filter(job=job, action="report.excluded").count() == 3


def test_exclude_is_refused_outside_review(job, technician):
    job.state = JobState.RUNNING
    job.save()
    with pytest.raises(NotAllowedNow):
        rq.set_excluded(job, excluded=True, ids=[1], actor=technician)


def test_bad_ids_are_a_filter_error(job, technician):
    with pytest.raises(rq.ReportFilterError):
        rq.set_excluded(job, excluded=True, ids=["x"], actor=technician)


def test_approve_records_who_and_wakes_the_review_step(job, technician, dispatched):
    rq.approve(job, actor=technician)
    review = Step.objects.get(job=job, key="review")
    assert review.data["approved_by"] == "alice" and review.data["approved_at"]
    assert review.state == StepState.PENDING
    assert dispatched and dispatched[-1][0] == job.pk


def test_approve_twice_is_refused(job, technician, dispatched):
    job.state = JobState.RUNNING
    job.save()
    with pytest.raises(NotAllowedNow):
        rq.approve(job, actor=technician)


def test_a_second_approval_before_the_import_starts_is_refused(job, technician, dispatched):
    rq.approve(job, actor=technician)
    job.refresh_from_db()
    assert job.state == JobState.WAITING_REVIEW  # no worker has picked the review step up yet
    with pytest.raises(NotAllowedNow, match="already approved by alice"):
        rq.approve(job, actor=technician)
    assert AuditEvent.objects.filter(action="report.approved").count() == 1


def test_rebuild_resets_build_and_review_and_resumes(job, technician, dispatched):
    rq.rebuild_report(job, technician)
    states = dict(Step.objects.filter(job=job).values_list("key", "state"))
    assert states["build_report"] == "pending" and states["review"] == "pending"
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and dispatched
