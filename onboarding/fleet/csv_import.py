"""Tenants from a CSV file (issue 14): parsed with tablib, validated by the tenant form's rules.

A dry run (`check`) answers for every row: new, already there (a tenant has one of its domains), or
invalid with the reason and the line number. `save` writes nothing from a file with errors unless
asked to import only the valid rows, and then all valid rows in one transaction.

Columns (a header row; names are matched loosely: case, spaces, dashes): name, primary domain,
further domains (separated by spaces, commas or `|`), stack, admin name, admin email, default role,
frequency. A UTF-8 BOM and `;` delimiters (a European spreadsheet's CSV) are fine.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import tablib
from django.db import transaction

from onboarding import audit
from onboarding.report.csv_export import safe_cell
from tenants.forms import TenantForm
from tenants.models import DefaultRole, ProofpointStack, Tenant
from tenants.validators import normalize_domain

MAX_BYTES = 10 * 1024 * 1024
COLUMNS = {
    "name": ("name", "tenant", "customer", "company", "tenant_name", "customer_name"),
    "primary_domain": ("primary_domain", "domain", "primary_email_domain"),
    "domains": ("further_domains", "domains", "other_domains", "additional_domains"),
    "proofpoint_stack": ("stack", "proofpoint_stack"),
    "customer_admin_name": ("admin_name", "customer_admin_name", "admin"),
    "customer_admin_email": ("admin_email", "customer_admin_email", "email"),
    "default_role": ("default_role", "role"),
    "sync_frequency_hours": ("frequency", "sync_frequency", "sync_frequency_hours"),
}
REQUIRED = ("name", "primary_domain", "customer_admin_email")
HEADER_WORDS = {
    "name": "name",
    "primary_domain": "primary domain",
    "domains": "further domains",
    "proofpoint_stack": "stack",
    "customer_admin_name": "admin name",
    "customer_admin_email": "admin email",
    "default_role": "default role",
    "sync_frequency_hours": "frequency",
}
NEW, EXISTING, INVALID = "new", "existing", "invalid"


class CsvFileError(Exception):
    """The file as a whole cannot be read; `message` says why, for the technician."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowResult:
    line: int
    outcome: str  # new / existing / invalid
    data: dict
    reasons: list[str] = field(default_factory=list)
    tenant_name: str = ""  # the tenant that already has the domain

    @property
    def domain(self) -> str:
        return self.data.get("primary_domain", "")


@dataclass
class CheckResult:
    rows: list[RowResult]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def has_errors(self) -> bool:
        return any(r.outcome == INVALID for r in self.rows)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", (header or "").strip().lower()).strip("_")


def read(content: bytes) -> tablib.Dataset:
    """The rows of the file; CsvFileError for what is not a CSV we can read."""
    if len(content) > MAX_BYTES:
        raise CsvFileError(
            f"The file is {len(content) / 1024 / 1024:.1f} MB; the limit is 10 MB. Split it into "
            "smaller files."
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFileError(
            "The file is not UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8'."
        ) from None
    if not text.strip():
        raise CsvFileError("The file is empty.")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        dataset = tablib.Dataset().load(io.StringIO(text), format="csv", delimiter=delimiter)
    except (csv.Error, tablib.InvalidDimensions) as error:
        raise CsvFileError(f"The file is not a CSV we can read: {error}.") from None
    return dataset


def _columns(headers: list[str]) -> dict[str, int]:
    aliases = {alias: field for field, names in COLUMNS.items() for alias in names}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        field_name = aliases.get(_key(header))
        if field_name and field_name not in found:
            found[field_name] = index
    missing = [HEADER_WORDS[f] for f in REQUIRED if f not in found]
    if missing:
        raise CsvFileError(
            f"The header row lacks the column(s): {', '.join(missing)}. Expected columns: "
            f"{', '.join(HEADER_WORDS.values())}."
        )
    return found


def _form_data(row: dict) -> dict:
    """The CSV's words turned into what TenantForm takes (stack 'US1', role 'silent', '24h'...)."""
    data = {k: (v or "").strip() for k, v in row.items()}
    data["domains"] = "\n".join(re.split(r"[\s,|]+", data.get("domains", "")))
    stack = data.get("proofpoint_stack", "").lower()
    data["proofpoint_stack"] = stack or ProofpointStack.US1
    role = _key(data.get("default_role", ""))
    if role in ("", "end", "end_user", "user"):
        data["default_role"] = DefaultRole.END_USER
    elif role in ("silent", "silent_user"):
        data["default_role"] = DefaultRole.SILENT_USER
    frequency = data.get("sync_frequency_hours", "")
    digits = re.search(r"\d+", frequency)
    data["sync_frequency_hours"] = digits.group() if digits else (frequency or "24")
    return data


def _owners() -> dict[str, str]:
    owners: dict[str, str] = {}
    for name, primary, further in Tenant.objects.values_list("name", "primary_domain", "domains"):
        for domain in [primary, *(further or [])]:
            owners.setdefault(str(domain).lower(), name)
    return owners


def _errors(form: TenantForm) -> list[str]:
    reasons = []
    for name, messages in form.errors.items():
        label = HEADER_WORDS.get(name, name.replace("_", " "))
        reasons += [f"{label}: {message}" for message in messages]
    return reasons


def check(content: bytes) -> CheckResult:
    """The dry run: every row's answer; nothing is saved."""
    dataset = read(content)
    columns = _columns(list(dataset.headers or []))
    owners = _owners()
    seen: dict[str, int] = {}
    results = []
    for index, values in enumerate(dataset):
        line = index + 2  # the header is line 1
        raw = {f: (values[i] if i < len(values) else "") for f, i in columns.items()}
        if not any((v or "").strip() for v in raw.values()):
            continue  # a blank line
        data = _form_data(raw)
        domains = [normalize_domain(data["primary_domain"])]
        domains += [normalize_domain(d) for d in data["domains"].split() if d]
        taken = next((d for d in domains if d in owners), None)
        if taken and domains[0]:
            results.append(
                RowResult(
                    line,
                    EXISTING,
                    data,
                    tenant_name=owners[taken],
                    reasons=[f"{taken} already belongs to {owners[taken]}."],
                )
            )
            continue
        form = TenantForm(data=data)
        reasons = [] if form.is_valid() else _errors(form)
        repeated = [d for d in domains if d and d in seen]
        if repeated:
            reasons.append(f"{repeated[0]} is already on line {seen[repeated[0]]} of this file.")
        for domain in domains:
            seen.setdefault(domain, line)
        results.append(RowResult(line, INVALID if reasons else NEW, data, reasons))
    if not results:
        raise CsvFileError("The file has a header row but no tenants.")
    return CheckResult(results)


def save(content: bytes, actor=None, request=None, only_valid: bool = False) -> list[Tenant]:
    """Create the new tenants. Refused (CsvFileError, nothing saved) when a row is invalid, unless
    `only_valid`; rows that are already there are left alone."""
    result = check(content)
    if result.has_errors and not only_valid:
        raise CsvFileError(
            f"{result.count(INVALID)} row(s) are invalid, so nothing was imported. Fix them, or "
            "choose to import only the valid rows."
        )
    created = []
    with transaction.atomic():
        for row in result.rows:
            if row.outcome != NEW:
                continue
            form = TenantForm(data=row.data)
            if not form.is_valid():  # changed since the dry run (another import): skip it
                continue
            tenant = form.save(commit=False)
            tenant.created_by = actor
            tenant.save()
            created.append(tenant)
        audit.record(
            "tenant.imported",
            f"Imported {len(created)} tenant(s) from a CSV file",
            request=request,
            user=actor,
        )
    return created


def export_header() -> list[str]:
    return list(HEADER_WORDS.values())


def export_rows(tenants) -> list[list[str]]:
    """The tenants in the import's own columns (a round trip: export, edit, import), with formula
    cells made inert for spreadsheets."""
    return [
        [
            safe_cell(v)
            for v in (
                t.name,
                t.primary_domain,
                " ".join(t.domains),
                t.proofpoint_stack,
                t.customer_admin_name,
                t.customer_admin_email,
                t.default_role,
                t.sync_frequency_hours,
            )
        ]
        for t in tenants
    ]
