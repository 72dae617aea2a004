"""A display name from a customer's directory must reach a technician's spreadsheet as text, never
as a formula (OWASP "CSV Injection"): every CSV the portal writes goes through safe_cell."""

import csv
import io

import pytest

from onboarding.models import SyncReportRow
from tests.onboarding.report.factories import add_rows, job_waiting_review

pytestmark = pytest.mark.django_db
FORMULAS = ['=HYPERLINK("https://evil.example","click")', "+1+2", "-2+3", "@SUM(A1:A2)"]


def report_csv(client, job) -> list[dict]:
    response = client.get(f"/jobs/{job.pk}/report.csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("name", FORMULAS)
def test_a_formula_display_name_comes_out_inert(tech_client, tenant_a, technician, name):
    job = job_waiting_review(tenant_a, technician)
    [row] = add_rows(job, 1)
    SyncReportRow.objects.filter(pk=row.pk).update(display_name=name, aliases=[name])
    [line] = report_csv(tech_client, job)
    assert line["display_name"] == "'" + name
    assert line["aliases"] == "'" + name


def test_ordinary_names_are_left_alone(tech_client, tenant_a, technician):
    job = job_waiting_review(tenant_a, technician)
    add_rows(job, 2)
    assert [line["display_name"] for line in report_csv(tech_client, job)] == [
        "User 00000",
        "User 00001",
    ]
