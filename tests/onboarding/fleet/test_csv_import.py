"""Tenants from CSV: a per-line answer for good and bad rows; nothing saved from a rejected file."""

from __future__ import annotations

import csv
import io

import pytest

from onboarding.fleet import csv_import
from tenants.models import DefaultRole, Tenant

HEADER = "name,primary domain,further domains,stack,admin name,admin email,default role,frequency\n"
ROWS = (
    "Contoso,contoso.example,mail.contoso.example shop.contoso.example,US2,Ann Lee,"
    "ann@contoso.example,silent,12h\n"  # line 2: new
    "Bad Domain,not_a_domain,,us1,,it@bad.example,end_user,24\n"  # line 3: invalid domain
    "Odd Stack,odd.example,,zz9,,it@odd.example,end_user,24\n"  # line 4: unknown stack
    "Contoso Again,other.example,contoso.example,us1,,it@other.example,,\n"  # 5: repeat of line 2
    "Fabrikam,fabrikam.example,,us1,,it@fabrikam.example,,1\n"  # line 6: already a tenant
    "Northwind,northwind.example,,eu1,,it@northwind.example,,3\n"  # line 7: new
)


@pytest.fixture
def existing(db):
    return Tenant.objects.create(
        name="Fabrikam Ltd",
        primary_domain="fabrikam.example",
        customer_admin_email="admin@fabrikam.example",
    )


def by_line(result):
    return {row.line: row for row in result.rows}


def test_the_dry_run_answers_each_line_and_saves_nothing(existing):
    result = csv_import.check((HEADER + ROWS).encode())
    rows = by_line(result)
    assert {n: r.outcome for n, r in rows.items()} == {
        2: "new",
        3: "invalid",
        4: "invalid",
        5: "invalid",
        6: "existing",
        7: "new",
    }
    assert "not_a_domain is not a valid domain name" in " ".join(rows[3].reasons)
    assert rows[3].reasons[0].startswith("primary domain:")
    assert "stack:" in " ".join(rows[4].reasons) and "zz9" in " ".join(rows[4].reasons)
    assert "contoso.example is already on line 2 of this file." in rows[5].reasons
    assert rows[6].tenant_name == "Fabrikam Ltd"
    assert Tenant.objects.count() == 1


def test_a_file_with_errors_is_refused_whole_unless_only_valid_rows_are_chosen(
    existing, technician
):
    content = (HEADER + ROWS).encode()
    with pytest.raises(csv_import.CsvFileError, match="3 row"):
        csv_import.save(content, actor=technician)
    assert Tenant.objects.count() == 1
    created = csv_import.save(content, actor=technician, only_valid=True)
    assert sorted(t.primary_domain for t in created) == ["contoso.example", "northwind.example"]
    contoso = Tenant.objects.get(primary_domain="contoso.example")
    assert contoso.domains == ["mail.contoso.example", "shop.contoso.example"]
    assert (contoso.proofpoint_stack, contoso.default_role, contoso.sync_frequency_hours) == (
        "us2",
        DefaultRole.SILENT_USER,
        12,
    )
    assert contoso.customer_admin_name == "Ann Lee" and contoso.created_by == technician
    again = csv_import.check(content)
    assert by_line(again)[2].outcome == "existing"  # a second import duplicates nothing


def test_a_bom_and_semicolons_are_read(db):
    text = "\ufeff" + (HEADER + ROWS.splitlines(True)[0]).replace(",", ";")
    [row] = csv_import.check(text.encode("utf-8")).rows
    assert (row.line, row.outcome, row.domain) == (2, "new", "contoso.example")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x" * (10 * 1024 * 1024 + 1), "the limit is 10 MB"),
        ("name;domain\n".encode("utf-16"), "not UTF-8"),
        (b"", "empty"),
        (b"name,admin email\nA,a@a.example\n", r"lacks the column\(s\): primary domain"),
        (HEADER.encode(), "no tenants"),
    ],
)
def test_files_that_cannot_be_read_say_why(db, content, message):
    with pytest.raises(csv_import.CsvFileError, match=message):
        csv_import.check(content)


def test_formula_cells_are_inert_on_export_and_the_export_imports_again(db, manager_client):
    Tenant.objects.create(
        name='=HYPERLINK("http://x")',
        primary_domain="evil.example",
        customer_admin_name="+SUM(A1)",
        customer_admin_email="it@evil.example",
    )
    [row] = csv_import.export_rows(Tenant.objects.all())
    assert row[0] == '\'=HYPERLINK("http://x")' and row[4] == "'+SUM(A1)"
    response = manager_client.get("/fleet/", {"export": "tenants"})
    text = response.content.decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == csv_import.export_header() and lines[1][0] == '\'=HYPERLINK("http://x")'
    [again] = csv_import.check(text.encode()).rows
    assert again.outcome == "existing"
    [fresh] = csv_import.check(text.replace("evil.example", "evil2.example").encode()).rows
    assert fresh.outcome == "new", fresh.reasons
