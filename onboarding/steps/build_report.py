"""Build the sync report: what Proofpoint's "Save & Run Sync Now" would show (domain.md §5).

Reads users and mail-enabled groups with the customer's NEW sync app (what Proofpoint will use),
classifies them (onboarding.classify), and compares them with the org's current accounts and
exemptions:
Adding / Updating / Deleting / Exempt. Each Graph page goes straight to the database (one
transaction
per page, COPY on PostgreSQL: onboarding.report_copy) and is dropped, so memory does not grow with
the
tenant: only the org's current accounts are held, compactly, because Proofpoint lists them in one
unpaged
answer. The next page is read in a background thread while one is classified and written
(onboarding.prefetch): at most three pages are held, and the thread ends with the step.

Idempotent: a run first deletes the job's rows, then rebuilds them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring_ascii

from django.db import connection
from django.utils import timezone

from onboarding.clients import proofpoint_client
from onboarding.models import AccountKind, ImportState, Section, SyncReportRow
from onboarding.report.batching import chunks
from onboarding.report.classify import (
    ADMIN_TYPES,
    FUNCTIONAL,
    GROUP_SELECT,
    USER_SELECT,
    Account,
    classify_group,
    classify_user,
    compact,
    differences,
    exchange_sku_ids,
    mail_domains,
)
from onboarding.report.copy import RowWriter
from onboarding.report.prefetch import Prefetch
from onboarding.steps.base import Done, Outcome, StepContext
from onboarding.sync_app import sync_app_graph

INSERT_BATCH = 1000
HEARTBEAT_SECONDS = 1.0


class _Comparison:
    """The org's current accounts and exemptions; rows are filed against them page by page."""

    def __init__(self, job_id: int, current: dict[str, tuple], exempt: set[str]):
        self.job_id = job_id
        self.current = current
        self.exempt = exempt
        self.counts: Counter = Counter()

    def section(self, account: Account) -> str | None:
        """The report section, or None when Proofpoint already holds the account unchanged."""
        existing = self.current.pop(account.email, None)
        if account.guest or account.email in self.exempt:
            return Section.EXEMPT
        if existing is None:
            return Section.ADDING
        if differences(account, existing):
            return Section.UPDATING
        self.counts["unchanged"] += 1
        return None

    def rows(self, accounts: Iterable[Account | None]) -> list[tuple]:
        """Row tuples (report_copy.INSERT_FIELDS) for the accounts the report lists, in read
        order."""
        rows = []
        counts, section_of, job_id = self.counts, self.section, self.job_id
        skipped = 0
        for account in accounts:
            if account is None:
                skipped += 1
                continue
            section = section_of(account)
            if section is not None:
                counts[section] += 1
                rows.append(_row(job_id, account, section))
        if skipped:
            counts["skipped"] += skipped
        return rows

    def leftovers(self) -> Iterable[tuple]:
        """Accounts in Proofpoint that Entra no longer has: Deleting, except admins (never
        touched)."""
        for email, (pp_type, firstname, surname, aliases) in self.current.items():
            kept = pp_type in ADMIN_TYPES or email in self.exempt
            section = Section.EXEMPT if kept else Section.DELETING
            self.counts[section] += 1
            kind = AccountKind.FUNCTIONAL if pp_type == FUNCTIONAL else AccountKind.USER
            yield (
                self.job_id,
                email,
                f"{firstname} {surname}".strip(),
                firstname,
                surname,
                "",
                section,
                kind,
                pp_type,
                False,
                True,
                False,
                _json_strings(aliases),
                False,
                PENDING,
                "",
            )


PENDING = ImportState.PENDING.value


def _row(job_id: int, account: Account, section: str) -> tuple:
    """The row for an account, as a tuple in report_copy.INSERT_FIELDS order (values cut to the
    columns)."""
    return (
        job_id,
        account.email[:320],
        account.display_name[:256],
        account.firstname[:128],
        account.surname[:128],
        account.entra_id[:36],
        section,
        account.kind,
        account.proofpoint_type,
        account.licensed,
        account.enabled,
        account.guest,
        _json_strings(account.aliases),
        False,
        PENDING,
        "",
    )


def _json_strings(items) -> str:
    """json.dumps(list(items)) for strings, character for character, without the encoder's per-call
    setup."""
    return f"[{', '.join(map(encode_basestring_ascii, items))}]"


def _pages(graph):
    """("user"|"group", page) for every Graph page the report reads, users first, in Graph's
    order."""
    for page in graph.iter_user_pages(USER_SELECT):
        yield "user", page
    for page in graph.iter_group_pages(GROUP_SELECT):
        yield "group", page


class _Heartbeat:
    """ctx.heartbeat() at most once a second: the lease is minutes long, and each beat is a
    commit."""

    def __init__(self, ctx: StepContext, every: float = HEARTBEAT_SECONDS):
        self.ctx, self.every = ctx, every
        self.last = time.monotonic()

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.ctx.heartbeat()
            self.last = now


def _classified(
    pages, comparison: _Comparison, exchange, domains, default_role
) -> Iterator[list[tuple]]:
    """Each page's rows, in order."""
    for kind, page in pages:
        if kind == "user":
            yield comparison.rows(classify_user(u, exchange, domains, default_role) for u in page)
        else:
            yield comparison.rows(classify_group(g, domains) for g in page)


def build_report(ctx: StepContext) -> Outcome:
    tenant, job = ctx.tenant, ctx.job
    graph = sync_app_graph(tenant)
    client = proofpoint_client(tenant)
    org = tenant.primary_domain
    SyncReportRow.objects.filter(job=job).delete()
    domains = frozenset(mail_domains(graph.list_domains()))
    exchange = exchange_sku_ids(graph.list_subscribed_skus())
    current = {str(u.get("primary_email", "")).lower(): compact(u) for u in client.list_users(org)}
    comparison = _Comparison(job.pk, current, {e.lower() for e in client.list_exemptions(org)})
    default_role = tenant.default_role
    ctx.heartbeat()
    # Graph page n+1 is read (in a thread, one page ahead) while page n is classified and written.
    beat = _Heartbeat(ctx)
    with (
        RowWriter() as writer,
        Prefetch(_pages(graph), depth=1, name="report-graph-pages") as pages,
    ):
        for rows in _classified(pages, comparison, exchange, domains, default_role):
            writer.write(rows)
            beat()
        for chunk in chunks(comparison.leftovers(), INSERT_BATCH):
            writer.write(chunk)
    _refresh_planner_statistics()
    counts = comparison.counts
    ctx.save_data(built_at=timezone.now().isoformat(), counts=dict(counts), domains=sorted(domains))
    return Done(
        f"{counts[Section.ADDING]} to add, {counts[Section.UPDATING]} to update, "
        f"{counts[Section.DELETING]} to "
        f"delete, {counts[Section.EXEMPT]} exempt; {counts['unchanged']} already up to date; "
        f"{counts['skipped']} skipped (no address in the tenant's mail domains)."
    )


def _refresh_planner_statistics() -> None:
    """After a bulk load of up to 100,000 rows, PostgreSQL's planner still believes the old row
    counts
    until autovacuum runs; the review page opened a second later would then pick slow plans."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SyncReportRow._meta.db_table}")
