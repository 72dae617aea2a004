"""Build the sync report: what Proofpoint's "Save & Run Sync Now" would show (domain.md §5).

Reads users and mail-enabled groups with the customer's NEW sync app (what Proofpoint will use),
classifies them (onboarding.classify), and compares them with the org's current accounts and exemptions:
Adding / Updating / Deleting / Exempt. Each Graph page goes straight to the database (one bulk insert
per page) and is dropped, so memory does not grow with the tenant: only the org's current accounts are
held, compactly, because Proofpoint lists them in one unpaged answer.

Idempotent: a run first deletes the job's rows, then rebuilds them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from onboarding.batching import chunks
from onboarding.classify import (
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
from onboarding.context import StepContext
from onboarding.models import AccountKind, ImportState, Section, SyncReportRow
from onboarding.outcomes import Done
from onboarding.proofpoint_access import proofpoint_client
from onboarding.steps.proofpoint import sync_app_graph

INSERT_BATCH = 1000


class _Comparison:
    """The org's current accounts and exemptions; rows are filed against them page by page."""

    def __init__(self, current: dict[str, tuple], exempt: set[str]):
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

    def rows(self, job, accounts: Iterable[Account | None]) -> list[SyncReportRow]:
        rows = []
        for account in accounts:
            if account is None:
                self.counts["skipped"] += 1
                continue
            section = self.section(account)
            if section is not None:
                self.counts[section] += 1
                rows.append(_row(job, account, section))
        return rows

    def leftovers(self, job) -> Iterable[SyncReportRow]:
        """Accounts in Proofpoint that Entra no longer has: Deleting, except admins (never touched)."""
        for email, (pp_type, firstname, surname, aliases) in self.current.items():
            kept = pp_type in ADMIN_TYPES or email in self.exempt
            section = Section.EXEMPT if kept else Section.DELETING
            self.counts[section] += 1
            kind = AccountKind.FUNCTIONAL if pp_type == FUNCTIONAL else AccountKind.USER
            yield SyncReportRow(job=job, email=email, display_name=f"{firstname} {surname}".strip(),
                                firstname=firstname, surname=surname, section=section, kind=kind,
                                proofpoint_type=pp_type, aliases=list(aliases), enabled=True)


def _row(job, account: Account, section: str) -> SyncReportRow:
    return SyncReportRow(
        job=job, email=account.email[:320], display_name=account.display_name[:256],
        firstname=account.firstname[:128], surname=account.surname[:128], entra_id=account.entra_id[:36],
        section=section, kind=account.kind, proofpoint_type=account.proofpoint_type, licensed=account.licensed,
        enabled=account.enabled, guest=account.guest, aliases=account.aliases,
    )


INSERT_FIELDS = ("job_id", "email", "display_name", "firstname", "surname", "entra_id", "section", "kind",
                 "proofpoint_type", "licensed", "enabled", "guest", "aliases", "excluded", "import_state",
                 "import_error")


def _insert(rows: list[SyncReportRow]) -> None:
    """One executemany per page. bulk_create spent most of a 100,000-user build preparing values (and
    SQLite's variable limit cut it into 16-row statements); the columns here are plain, so we write them.
    ON CONFLICT DO NOTHING: a group and a user may share an address; the first one read wins."""
    if not rows:
        return
    table = connection.ops.quote_name(SyncReportRow._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f) for f in INSERT_FIELDS)
    placeholders = ", ".join(["%s"] * len(INSERT_FIELDS))
    # Names are constants and values parameters: nothing from outside reaches the SQL text.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT (job_id, email) DO NOTHING"  # noqa: S608
    values = [
        (r.job_id, r.email, r.display_name, r.firstname, r.surname, r.entra_id, r.section, r.kind,
         r.proofpoint_type, r.licensed, r.enabled, r.guest, json.dumps(r.aliases), False, ImportState.PENDING, "")
        for r in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)




def build_report(ctx: StepContext):
    tenant, job = ctx.tenant, ctx.job
    graph = sync_app_graph(tenant)
    client = proofpoint_client(tenant)
    org = tenant.primary_domain
    SyncReportRow.objects.filter(job=job).delete()
    domains = frozenset(mail_domains(graph.list_domains()))
    exchange = exchange_sku_ids(graph.list_subscribed_skus())
    current = {str(u.get("primary_email", "")).lower(): compact(u) for u in client.list_users(org)}
    comparison = _Comparison(current, {e.lower() for e in client.list_exemptions(org)})
    ctx.heartbeat()
    for page in graph.iter_user_pages(USER_SELECT):
        _insert(comparison.rows(job, (classify_user(u, exchange, domains, tenant.default_role) for u in page)))
        ctx.heartbeat()
    for page in graph.iter_group_pages(GROUP_SELECT):
        _insert(comparison.rows(job, (classify_group(g, domains) for g in page)))
        ctx.heartbeat()
    for chunk in chunks(comparison.leftovers(job), INSERT_BATCH):
        _insert(chunk)
    _refresh_planner_statistics()
    counts = comparison.counts
    ctx.save_data(built_at=timezone.now().isoformat(), counts=dict(counts), domains=sorted(domains))
    return Done(
        f"{counts[Section.ADDING]} to add, {counts[Section.UPDATING]} to update, {counts[Section.DELETING]} to "
        f"delete, {counts[Section.EXEMPT]} exempt; {counts['unchanged']} already up to date; "
        f"{counts['skipped']} skipped (no address in the tenant's mail domains)."
    )


def _refresh_planner_statistics() -> None:
    """After a bulk load of up to 100,000 rows, PostgreSQL's planner still believes the old row counts
    until autovacuum runs; the review page opened a second later would then pick slow plans."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SyncReportRow._meta.db_table}")
