"""The sync report in words: why each row sits in its section and kind, what will happen (or
happened) to it, the tab counts net of exclusions, what the import did, and whether the billable
accounts fit the org's licences.

One word for one thing: the technician *excludes* an account; Proofpoint then holds it as *exempt
from sync* (its own word, domain.md §5). Rows of the "Exempt from sync" section are already exempt
(guests, Proofpoint administrators, the org's exemption list) and cannot be excluded again.
"""

from __future__ import annotations

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count, Q

from onboarding.models import AccountKind, ImportState, Section, SyncReportRow
from onboarding.report.classify import ADMIN_TYPES, FUNCTIONAL

SECTION_WORDS = {
    Section.ADDING: ("Will be added", "Added"),
    Section.UPDATING: ("Will be updated", "Updated"),
    Section.DELETING: ("Will be deleted", "Deleted"),
}


def number(value: int) -> str:
    return intcomma(int(value or 0))


def row_reason(row) -> str:
    """Why the row is in its section and kind, in a few words."""
    if row.guest:
        return "guest: never imported (Proofpoint cannot hold addresses of other organisations)"
    if row.section == Section.EXEMPT:
        if row.proofpoint_type in ADMIN_TYPES:
            return "Proofpoint administrator: the sync never changes it"
        return "on the org's exemption list in Proofpoint: the sync leaves it alone"
    if row.section == Section.DELETING:
        return "in Proofpoint but no longer in Entra ID"
    if row.kind == AccountKind.GROUP:
        return "mail-enabled group: functional account, not billed"
    if row.kind == AccountKind.FUNCTIONAL or row.proofpoint_type == FUNCTIONAL:
        if not row.enabled:
            return "sign-in blocked: functional account, so mail keeps flowing"
        return "shared or unlicensed mailbox: functional account, not billed"
    return "licensed and enabled: a billable user"


def row_status(row, allow_deletions: bool) -> tuple[str, str]:
    """(words, tone) for the Status column: what approving will do, or what the import did."""
    state = row.import_state
    if state == ImportState.FAILED:
        return "Failed", "danger"
    if row.excluded:
        if state == ImportState.SKIPPED:
            return "Excluded: now exempt from sync", "secondary"
        return "Excluded: will be exempt from sync", "secondary"
    if row.section == Section.EXEMPT:
        return "Left alone", "light"
    if row.section == Section.DELETING and not allow_deletions:
        return "Left alone (deletions are off)", "light"
    planned, done = SECTION_WORDS.get(row.section, ("", ""))
    if state == ImportState.DONE:
        return done, "success"
    if state == ImportState.SKIPPED:
        return "Left alone", "light"
    return planned, "info"


def can_exclude(row) -> bool:
    return row.section != Section.EXEMPT


def section_tabs(counts: dict) -> list[dict]:
    """Each tab's count net of exclusions, and the excluded count beside it."""
    tabs = []
    for value, label in Section.choices:
        excluded = counts["excluded"][value] if value != Section.EXEMPT else 0
        tabs.append(
            {
                "value": value,
                "label": label,
                "count": counts["sections"][value] - excluded,
                "excluded": excluded,
            }
        )
    return tabs


def summary_line(counts: dict, allow_deletions: bool) -> str:
    """ "Adding 36 · 4 excluded, updating 3, deleting 0, 6 already exempt from sync"."""
    parts = []
    for value, label in (
        (Section.ADDING, "Adding"),
        (Section.UPDATING, "Updating"),
        (Section.DELETING, "Deleting"),
    ):
        excluded = counts["excluded"][value]
        text = f"{label} {number(counts['sections'][value] - excluded)}"
        if excluded:
            text += f" · {number(excluded)} excluded"
        if value == Section.DELETING and not allow_deletions and counts["sections"][value]:
            text += " (left alone: deletions are off)"
        parts.append(text)
    parts.append(f"{number(counts['sections'][Section.EXEMPT])} already exempt from sync")
    return ", ".join([parts[0], *(part[0].lower() + part[1:] for part in parts[1:])])


def outcome(job) -> dict:
    """What the import did, from the rows' import states (one aggregate query)."""
    rows = SyncReportRow.objects.filter(job=job)
    done = Q(import_state=ImportState.DONE, excluded=False)
    counts = rows.aggregate(
        added=Count("pk", filter=done & Q(section=Section.ADDING)),
        updated=Count("pk", filter=done & Q(section=Section.UPDATING)),
        deleted=Count("pk", filter=done & Q(section=Section.DELETING)),
        exempted=Count("pk", filter=Q(excluded=True, import_state=ImportState.SKIPPED)),
        failed=Count("pk", filter=Q(import_state=ImportState.FAILED)),
    )
    parts = [f"{number(counts['added'])} added", f"{number(counts['updated'])} updated"]
    if counts["deleted"]:
        parts.append(f"{number(counts['deleted'])} deleted")
    parts.append(f"{number(counts['exempted'])} exempted")
    if counts["failed"]:
        parts.append(f"{number(counts['failed'])} could not be imported")
    return {**counts, "text": ", ".join(parts)}


def billable_after(job) -> int:
    """Billable users the report adds (users, not functional accounts), net of exclusions."""
    return (
        SyncReportRow.objects.filter(
            job=job, section=Section.ADDING, excluded=False, kind=AccountKind.USER, guest=False
        )
        .exclude(proofpoint_type=FUNCTIONAL)
        .count()
    )


def licence_fit(job, org: dict | None) -> dict | None:
    """Billable accounts against the org's licences (`user_licenses`, `active_users` of GET
    /orgs/{d});
    None when the org's figures are unknown."""
    if not org:
        return None
    try:
        licences = int(org.get("user_licenses"))
    except (TypeError, ValueError):
        return None
    try:
        active = int(org.get("active_users") or 0)
    except (TypeError, ValueError):
        active = 0
    adding = billable_after(job)
    deleting = 0
    if job.tenant.allow_deletions:
        deleting = (
            SyncReportRow.objects.filter(
                job=job, section=Section.DELETING, excluded=False, kind=AccountKind.USER
            )
            .exclude(proofpoint_type=FUNCTIONAL)
            .count()
        )
    after = max(0, active + adding - deleting)
    return {
        "licences": licences,
        "active": active,
        "adding": adding,
        "deleting": deleting,
        "after": after,
        "fits": after <= licences,
        "short": max(0, after - licences),
    }
