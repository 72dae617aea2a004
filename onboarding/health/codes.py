"""The finding codes of api.md v1.1: stable keys, their severity, and what repair does about each.

Technicians read `repair` on the tenant page next to the finding's message; `fixable` is api.md's
"fixable by repair" column.
"""

from __future__ import annotations

from dataclasses import dataclass

WARNING = "warning"
CRITICAL = "critical"
RANK = {"ok": 0, WARNING: 1, CRITICAL: 2}


@dataclass(frozen=True)
class Code:
    severity: str
    fixable: bool
    repair: str  # what Repair will do about it, for the tenant page
    title: str  # a few words, for lists (audit rows, emails)


SYNC_PAUSED = "sync_paused"
SYNC_APP_MISMATCH = "sync_app_mismatch"
SYNC_STALE = "sync_stale"
SECRET_EXPIRING = "secret_expiring"
SECRET_EXPIRED = "secret_expired"
APP_MISSING = "app_missing"
PERMISSIONS_MISSING = "permissions_missing"
MSP_ACCESS_LOST = "msp_access_lost"
DOMAIN_MISSING = "domain_missing"
LICENCES_SHORT = "licences_short"
MX_NOT_ROUTED = "mx_not_routed"

CODES = {
    SYNC_PAUSED: Code(
        CRITICAL,
        True,
        "Repair saves the Azure sync settings again at the tenant's own frequency, so "
        "the scheduled sync runs.",
        "Proofpoint sync paused",
    ),
    SYNC_APP_MISMATCH: Code(
        CRITICAL,
        True,
        "Repair saves the Azure sync settings again with the tenant's sync app and its secret.",
        "Proofpoint sync uses the wrong app",
    ),
    SYNC_STALE: Code(
        WARNING,
        False,
        "Repair cannot run a sync itself: it fixes the likely cause named here (when "
        "repair can), and the next scheduled sync should then work.",
        "no recent successful sync",
    ),
    SECRET_EXPIRING: Code(
        WARNING,
        True,
        "Repair makes a new client secret, hands it to Proofpoint, then removes the old one.",
        "client secret expiring soon",
    ),
    SECRET_EXPIRED: Code(
        CRITICAL,
        True,
        "Repair makes a new client secret, hands it to Proofpoint, then removes the old one.",
        "client secret expired",
    ),
    APP_MISSING: Code(
        CRITICAL,
        True,
        "Repair recreates the sync app registration and its service principal, grants "
        "its permissions, makes a new secret and saves the sync settings with them.",
        "sync app deleted",
    ),
    PERMISSIONS_MISSING: Code(
        CRITICAL,
        True,
        "Repair grants the missing permissions again (Directory.Read.All for the app; "
        "Directory.Read.All, Group.Read.All and User.ReadBasic.All delegated).",
        "sync app permissions missing",
    ),
    MSP_ACCESS_LOST: Code(
        CRITICAL,
        False,
        "Repair cannot approve the portal's app for the customer: it emails the "
        "customer's admin a new consent link, waits for the approval, then fixes the rest.",
        "the portal's access to the tenant lost",
    ),
    DOMAIN_MISSING: Code(
        CRITICAL,
        True,
        "Repair adds the missing domains to the Proofpoint organisation.",
        "domain missing in Proofpoint",
    ),
    LICENCES_SHORT: Code(
        WARNING,
        False,
        "Repair cannot buy licences: raise the organisation's licence count in "
        "Proofpoint, or remove accounts.",
        "not enough Proofpoint licences",
    ),
    MX_NOT_ROUTED: Code(
        WARNING,
        False,
        "Repair cannot change DNS: the customer (or you) points the MX records at "
        "Proofpoint's hosts, as Next steps describes.",
        "MX records not pointing to Proofpoint",
    ),
}

# What a repair starts for: the fixable codes, and msp_access_lost (repair asks for consent again).
REPAIRABLE = {code for code, spec in CODES.items() if spec.fixable} | {MSP_ACCESS_LOST}

# A tenant brought in from Proofpoint runs its sync with an app the portal does not hold (no ids, no
# secret). Repair can fix these only by replacing that app with the portal's own: a secret cannot
# be added to an app and handed to Proofpoint without saving the settings, and every save of
# settings/azure needs the secret (its GET masks it). The other fixable codes (domain_missing) are
# fixed with the app left alone.
REPLACES_UNHELD_APP = {
    APP_MISSING,
    PERMISSIONS_MISSING,
    SECRET_EXPIRING,
    SECRET_EXPIRED,
    SYNC_PAUSED,
    SYNC_APP_MISMATCH,
}
UNHELD_APP_REPAIR = (
    "Repair cannot fix this in an app the portal did not make and holds no secret of: it replaces "
    "the sync app with the portal's own (a new app registration, its permissions and a secret the "
    "portal holds, saved in Proofpoint's sync settings), then checks again."
)


def repair_words(code: str, holds_sync_app: bool = True) -> str:
    """What Repair will do about a finding, for the tenant page: for a tenant whose sync app the
    portal does not hold, the codes that need the app say it is replaced."""
    if not holds_sync_app and code in REPLACES_UNHELD_APP:
        return UNHELD_APP_REPAIR
    return CODES[code].repair


def worst(severities) -> str:
    """ "ok" for none, else the worst severity."""
    return max(severities, key=RANK.__getitem__, default="ok")
