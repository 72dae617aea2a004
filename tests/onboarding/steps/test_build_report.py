"""The report build's fast paths keep its results: pages read ahead in a thread
(onboarding.prefetch), rows
written a page per transaction with COPY on PostgreSQL (onboarding.report_copy), the first row for
an
address winning as before. No sandbox: Graph and Proofpoint are fakes."""

import threading
import time

import pytest

from integrations.errors import TransientError
from onboarding.models import Step, SyncReportRow
from onboarding.report.copy import RowWriter
from onboarding.report.prefetch import Prefetch
from onboarding.steps import build_report as report_build
from onboarding.steps.base import StepContext
from tests.onboarding.report.factories import job_waiting_review

SKU = "sku-exchange"


def prefetch_threads():
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("report-") or t.name == "test-prefetch"
    ]


# --- Prefetch
# ------------------------------------------------------------------------------------------------
def test_prefetch_yields_every_item_in_order_and_its_thread_is_gone_after():
    with Prefetch(iter(range(50)), depth=1, name="test-prefetch") as ahead:
        assert list(ahead) == list(range(50))
    assert not prefetch_threads()


def test_prefetch_reads_at_most_depth_plus_one_ahead():
    read = []

    def source():
        for n in range(20):
            read.append(n)
            yield n

    with Prefetch(source(), depth=1, name="test-prefetch") as ahead:
        for item in ahead:
            time.sleep(0.02)
            assert len(read) <= item + 3  # the one handed over, one queued, one being read
    assert read == list(range(20))


def test_an_error_in_the_thread_is_raised_in_the_loop_with_its_own_type():
    def source():
        yield 1
        raise TransientError(
            message="Graph is throttling", code="throttled", service="Microsoft Graph"
        )

    seen = []
    with (
        pytest.raises(TransientError, match="throttling"),
        Prefetch(source(), name="test-prefetch") as ahead,
    ):
        for item in ahead:
            seen.append(item)
    assert seen == [1]
    assert not prefetch_threads()


def test_leaving_early_stops_the_thread_and_closes_the_source():
    closed = threading.Event()

    def source():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    with pytest.raises(RuntimeError), Prefetch(source(), name="test-prefetch") as ahead:
        for item in ahead:
            if item == 3:
                raise RuntimeError("the step failed while writing")
    assert closed.is_set() and not prefetch_threads()


# --- RowWriter
# ---------------------------------------------------------------------------------------------
def row(job, email, name="", section="adding"):
    return (
        job.pk,
        email,
        name,
        "",
        "",
        "",
        section,
        "user",
        "end_user",
        True,
        True,
        False,
        "[]",
        False,
        "pending",
        "",
    )


@pytest.fixture
def job(tenant_a, technician):
    return job_waiting_review(tenant_a, technician)


def names(job):
    return dict(SyncReportRow.objects.filter(job=job).values_list("email", "display_name"))


def test_the_first_row_for_an_address_wins_within_a_page_and_across_pages(job):
    with RowWriter() as writer:
        writer.write(
            [
                row(job, "a@x.example", "first a"),
                row(job, "b@x.example", "first b"),
                row(job, "a@x.example", "second a"),
            ]
        )
        writer.write([row(job, "c@x.example", "first c")])
        writer.write(
            [
                row(job, "b@x.example", "second b"),
                row(job, "d@x.example", "first d"),
                row(job, "d@x.example", "second d"),
            ]
        )
        writer.write([])
    assert names(job) == {
        "a@x.example": "first a",
        "b@x.example": "first b",
        "c@x.example": "first c",
        "d@x.example": "first d",
    }


def test_writing_again_after_a_failed_page_works(job):
    with pytest.raises(Exception), RowWriter() as writer:  # noqa: B017 - the database's own error type
        writer.write([row(job, "a@x.example", "a")])
        writer.write(
            [row(job, "b@x.example", "b", section=None)]
        )  # NOT NULL: the page fails, whole
    assert names(job) == {"a@x.example": "a"}
    with RowWriter() as writer:  # the next build on the same connection starts clean
        writer.write([row(job, "b@x.example", "b")])
    assert names(job) == {"a@x.example": "a", "b@x.example": "b"}


# --- build_report with fake services
# ---------------------------------------------------------------------------
def user(n, domain="fabrikam.example", **extra):
    return {
        "id": f"u{n}",
        "displayName": f"User {n}",
        "givenName": "User",
        "surname": str(n),
        "userPrincipalName": f"user{n}@{domain}",
        "mail": f"user{n}@{domain}",
        "accountEnabled": True,
        "assignedLicenses": [{"skuId": SKU}],
        "proxyAddresses": [f"SMTP:user{n}@{domain}"],
        **extra,
    }


class FakeGraph:
    def __init__(self, user_pages, group_pages, fail_after=None):
        self.user_pages, self.group_pages, self.fail_after = user_pages, group_pages, fail_after
        self.pages_read = 0

    def list_domains(self):
        return [{"id": "fabrikam.example", "isVerified": True, "isInitial": False}]

    def list_subscribed_skus(self):
        return [{"skuId": SKU, "servicePlans": [{"servicePlanName": "EXCHANGE_S_STANDARD"}]}]

    def _pages(self, pages):
        for page in pages:
            if self.fail_after is not None and self.pages_read >= self.fail_after:
                raise TransientError(
                    message="Graph timed out", code="ReadTimeout", service="Microsoft Graph"
                )
            self.pages_read += 1
            yield page

    def iter_user_pages(self, select):
        return self._pages(self.user_pages)

    def iter_group_pages(self, select):
        return self._pages(self.group_pages)


class FakeProofpoint:
    def list_users(self, org):
        return [
            {
                "primary_email": "user2@fabrikam.example",
                "type": "end_user",
                "firstname": "User",
                "surname": "2",
                "alias_emails": [],
            },
            {
                "primary_email": "gone@fabrikam.example",
                "type": "end_user",
                "firstname": "Gone",
                "surname": "",
                "alias_emails": ["g@fabrikam.example"],
            },
        ]

    def list_exemptions(self, org):
        return []


def build(job, monkeypatch, graph):
    monkeypatch.setattr(report_build, "sync_app_graph", lambda tenant: graph)
    monkeypatch.setattr(report_build, "proofpoint_client", lambda tenant: FakeProofpoint())
    step = Step.objects.get(job=job, key="build_report")
    return report_build.build_report(StepContext(job=job, step=step, lease_seconds=60))


def test_a_build_keeps_the_first_account_for_an_address_and_counts_as_before(job, monkeypatch):
    users = [[user(1), user(2), user(3)], [user(4), dict(user(1), id="again", displayName="Again")]]
    groups = [
        [
            {
                "id": "g1",
                "displayName": "Sales",
                "mail": "user3@fabrikam.example",
                "mailEnabled": True,
                "proxyAddresses": ["SMTP:user3@fabrikam.example"],
                "groupTypes": [],
            },
            {
                "id": "g2",
                "displayName": "Ops",
                "mail": "ops@fabrikam.example",
                "mailEnabled": True,
                "proxyAddresses": ["SMTP:ops@fabrikam.example"],
                "groupTypes": [],
            },
        ]
    ]
    done = build(job, monkeypatch, FakeGraph(users, groups))
    rows = {r.email: r for r in SyncReportRow.objects.filter(job=job)}
    assert set(rows) == {
        "user1@fabrikam.example",
        "user3@fabrikam.example",
        "user4@fabrikam.example",
        "ops@fabrikam.example",
        "gone@fabrikam.example",
    }
    assert rows["user1@fabrikam.example"].display_name == "User 1"  # not "Again"
    assert rows["user3@fabrikam.example"].kind == "user"  # the user, read before the group
    assert rows["ops@fabrikam.example"].kind == "group"
    gone = rows["gone@fabrikam.example"]
    assert (gone.section, gone.aliases, gone.display_name) == (
        "deleting",
        ["g@fabrikam.example"],
        "Gone",
    )
    # Counted as read, repeats included (as the row-by-row insert counted them).
    assert "6 to add, 0 to update, 1 to delete, 0 exempt; 1 already up to date" in done.message
    assert not prefetch_threads()

    build(job, monkeypatch, FakeGraph(users, groups))  # a re-run rebuilds the same rows
    assert set(SyncReportRow.objects.filter(job=job).values_list("email", flat=True)) == set(rows)


def test_a_graph_error_mid_build_fails_the_step_and_leaves_whole_pages(job, monkeypatch):
    users = [[user(n) for n in range(p * 10, p * 10 + 10)] for p in range(5)]
    with pytest.raises(TransientError, match="timed out"):
        build(job, monkeypatch, FakeGraph(users, [], fail_after=3))
    # Whole pages only (user2 is already in Proofpoint unchanged: no row), however far the writes
    # got.
    assert SyncReportRow.objects.filter(job=job).count() in (0, 9, 19, 29)
    assert not prefetch_threads()
    build(job, monkeypatch, FakeGraph(users, []))  # the retry
    assert (
        SyncReportRow.objects.filter(job=job).count() == 50
    )  # 49 users to add + the one to delete
