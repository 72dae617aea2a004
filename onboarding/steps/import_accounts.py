"""Import the approved report into Proofpoint: the portal's "Sync Active Directory" (domain.md §4,
§5).

Order: exemptions for excluded accounts first (so no scheduled sync can touch them), then creates in
batches, updates, deletes (only with tenant.allow_deletions), and finally the Azure sync switched on
at
the tenant's frequency. Every row records its import_state and, on failure, Proofpoint's reason.

Never a duplicate account after a crash: each run re-lists the org's accounts first and skips those
present, only rows still `pending` are worked on, and Proofpoint's "already exists" counts as done
once
the account is seen in this org.

Accounts Proofpoint refuses do not fail the step: the import succeeds with a warning that names the
count, and the job page lists them with the reason, so the technician fixes them in Proofpoint while
the rest of the customer is protected.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q

from integrations.errors import NotFound, PermanentError
from onboarding.clients import proofpoint_client
from onboarding.models import ImportState, Section, SyncReportRow
from onboarding.report.batching import chunks
from onboarding.report.classify import proofpoint_body
from onboarding.steps.base import Done, Outcome, StepContext
from onboarding.sync_app import save_azure_settings

EXEMPTION_CHUNK = 500
HEARTBEAT_EVERY = 50
ELSEWHERE = (
    "Proofpoint answered that this address already exists, but it is not an account of this "
    "organisation: another organisation or another account's alias uses it."
)


class _Import:
    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        self.tenant = ctx.tenant
        self.org = ctx.tenant.primary_domain
        self.client = proofpoint_client(ctx.tenant)
        self.rows = SyncReportRow.objects.filter(job=ctx.job)
        self.present = self._list_present()
        self.org_domains = {
            str(d.get("name", "")).lower() for d in self.client.list_domains(self.org)
        }
        self.batch_size = settings.PROOFPOINT_IMPORT_BATCH_SIZE
        self.counts = {"added": 0, "updated": 0, "deleted": 0, "exempted": 0}

    def _list_present(self) -> set[str]:
        return {str(u.get("primary_email", "")).lower() for u in self.client.list_users(self.org)}

    def pending(self, section: str, excluded: bool = False):
        return self.rows.filter(
            section=section, excluded=excluded, import_state=ImportState.PENDING
        ).order_by("pk")

    def mark(self, ids, state: str, error: str = "") -> None:
        if ids:
            SyncReportRow.objects.filter(pk__in=list(ids)).update(
                import_state=state, import_error=error[:2000]
            )

    # --- the four phases
    # ---------------------------------------------------------------------------
    def exempt_excluded(self) -> None:
        """Excluded accounts become exemptions first; exempt rows (guests, admins...) are left
        alone."""
        self.mark(
            self.rows.filter(section=Section.EXEMPT, import_state=ImportState.PENDING).values_list(
                "pk", flat=True
            ),
            ImportState.SKIPPED,
            "Exempt from sync: left alone.",
        )
        already = {e.lower() for e in self.client.list_exemptions(self.org)}
        excluded = self.rows.filter(excluded=True, import_state=ImportState.PENDING).exclude(
            section=Section.EXEMPT
        )
        for chunk in chunks(excluded.order_by("pk").values_list("pk", "email"), EXEMPTION_CHUNK):
            new = [email for _, email in chunk if email not in already]
            self.client.add_exemptions(self.org, new)
            self.mark(
                [pk for pk, _ in chunk],
                ImportState.SKIPPED,
                "Excluded in the review: exempt from sync.",
            )
            self.counts["exempted"] += len(chunk)
            self.ctx.heartbeat()

    def create(self) -> None:
        unverified: list[int] = []
        last = 0
        while True:
            batch = list(self.pending(Section.ADDING).filter(pk__gt=last)[: self.batch_size])
            if not batch:
                break
            last = batch[-1].pk
            unverified += self._create_batch(batch)
            self.ctx.heartbeat()
        if unverified:
            self._verify_existing(unverified)

    def _create_batch(self, batch: list[SyncReportRow]) -> list[int]:
        by_email = {row.email: row for row in batch}
        there = [row.pk for row in batch if row.email in self.present]
        self.mark(there, ImportState.DONE)
        todo = [self._body(row) for row in batch if row.email not in self.present]
        result = self.client.create_users(self.org, todo)
        created = [
            by_email[u["primary_email"].lower()].pk
            for u in result.created
            if str(u.get("primary_email", "")).lower() in by_email
        ]
        self.mark(created, ImportState.DONE)
        self.counts["added"] += len(created)
        self.present.update(row.email for row in batch if row.pk in set(created))
        for email, status, reason in result.failed:
            if email in by_email:
                self.mark(
                    [by_email[email].pk], ImportState.FAILED, f"{reason} (HTTP {status or '?'})"
                )
        return [by_email[e].pk for e in result.existing if e in by_email]

    def _verify_existing(self, ids: list[int]) -> None:
        """ "Already exists" is done only if the account is in THIS org (a crash after the create,
        or a race)."""
        self.present = self._list_present()
        rows = SyncReportRow.objects.filter(pk__in=ids).values_list("pk", "email")
        self.mark([pk for pk, email in rows if email in self.present], ImportState.DONE)
        self.mark(
            [pk for pk, email in rows if email not in self.present], ImportState.FAILED, ELSEWHERE
        )

    def update(self) -> None:
        for index, row in enumerate(self.pending(Section.UPDATING).iterator(chunk_size=500)):
            try:
                self.client.update_user(self.org, row.email, self._body(row, creating=False))
            except NotFound:
                self.mark([row.pk], ImportState.FAILED, "The account is no longer in Proofpoint.")
            except PermanentError as error:
                self.mark([row.pk], ImportState.FAILED, error.message)
            else:
                self.mark([row.pk], ImportState.DONE)
                self.counts["updated"] += 1
            if index % HEARTBEAT_EVERY == 0:
                self.ctx.heartbeat()

    def delete(self) -> None:
        rows = self.pending(Section.DELETING)
        if not self.tenant.allow_deletions:
            self.mark(
                rows.values_list("pk", flat=True),
                ImportState.SKIPPED,
                "Deletions are off for this tenant: the account was left alone.",
            )
            return
        for index, row in enumerate(rows.iterator(chunk_size=500)):
            try:
                self.client.delete_user(self.org, row.email)  # already gone counts as done
            except PermanentError as error:
                self.mark([row.pk], ImportState.FAILED, error.message)
            else:
                self.mark([row.pk], ImportState.DONE)
                self.counts["deleted"] += 1
            if index % HEARTBEAT_EVERY == 0:
                self.ctx.heartbeat()

    def _body(self, row: SyncReportRow, creating: bool = True) -> dict:
        body = proofpoint_body(row)
        # Proofpoint refuses aliases outside the org's domains (e.g. the tenant's onmicrosoft.com
        # name).
        body["alias_emails"] = [a for a in row.aliases if a.rsplit("@", 1)[-1] in self.org_domains]
        if not creating:
            body.pop("send_welcome_email", None)
            body.pop("primary_email", None)
        return body


def done_counts(rows) -> tuple[dict, int]:
    """What the import really did, from the rows' stored import_state (one query): a run that
    carries on after a crash counts the accounts the earlier attempt imported too."""
    done, skipped = ImportState.DONE, ImportState.SKIPPED
    totals = rows.aggregate(
        added=Count("pk", filter=Q(section=Section.ADDING, import_state=done)),
        updated=Count("pk", filter=Q(section=Section.UPDATING, import_state=done)),
        deleted=Count("pk", filter=Q(section=Section.DELETING, import_state=done)),
        exempted=Count(
            "pk", filter=Q(excluded=True, import_state=skipped) & ~Q(section=Section.EXEMPT)
        ),
        failed=Count("pk", filter=Q(import_state=ImportState.FAILED)),
    )
    failed = totals.pop("failed")
    return totals, failed


def import_accounts(ctx: StepContext) -> Outcome:
    run = _Import(ctx)
    run.exempt_excluded()
    run.create()
    run.update()
    run.delete()
    # Switch the scheduled sync on at the tenant's frequency (domain.md §4: at approval), real
    # secret again.
    save_azure_settings(
        ctx.tenant,
        frequency=ctx.tenant.sync_frequency_hours,
        attempt=ctx.step.attempts,
        job=ctx.job,
    )
    counts, failed = done_counts(run.rows)
    message = (
        f"{counts['added']} added, {counts['updated']} updated, {counts['deleted']} deleted, "
        f"{counts['exempted']} exempted; Azure sync now runs every "
        f"{ctx.tenant.sync_frequency_hours} h."
    )
    if failed:
        message += (
            f" Warning: {failed} account(s) were refused by Proofpoint and not imported. They are "
            "listed "
            "on this page with the reason: fix them in Proofpoint."
        )
    ctx.save_data(counts=counts, failed=failed)
    return Done(message)
