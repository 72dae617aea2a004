"""Property-based: schemathesis generates requests from /api/schema/, valid and invalid ones, and
runs every
check it has (`--checks all`): the API never answers 5xx, its answers agree with the schema, a valid
request is accepted and an invalid one refused (so the schema states the rules the API enforces).

Half the examples aim at real objects (a tenant, a job waiting for review with report rows), so the
generated bodies and filters reach the code behind the 404s.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.generation.modes import GenerationMode

from accounts.tokens import issue_token
from onboarding import engine
from onboarding.models import SyncReportRow
from portal.wsgi import application

EXAMPLES_PER_OPERATION = 20  # per mode: valid requests, then invalid ones (the CLI's --mode all)
# Every check schemathesis has (`--checks all`): no 5xx, answers that match the schema, and the
# schema
# states every rule the API enforces (a schema-valid request is accepted, an invalid one refused).
load_all_checks()
CHECKS = CHECK_REGISTRY.get_all()


@pytest.fixture
def world(tenant_a, tenant_b, technician, dispatched, settings, portal_sandbox):
    """A job in review with report rows; the sandbox answers discovery (the partner's orgs)."""
    settings.TENANT_PREFLIGHT = False  # the fuzzer's made-up domains are not real tenants
    settings.ONBOARDING_PIPELINE = "tests.pipelines.REVIEW"
    job = engine.start_job(tenant_a, technician)
    engine.run_job(job.pk)
    SyncReportRow.objects.bulk_create(
        SyncReportRow(job=job, email=f"user{i}@fabrikam.example", section=s, kind="user")
        for i, s in enumerate(["adding", "updating", "deleting", "exempt"])
    )
    return {"tenants": tenant_a.pk, "onboardings": job.pk}


@pytest.fixture
def keep_connection():
    """The raw WSGI app closes the database connection after each request, which would end the
    test's
    transaction; Django's test client unhooks the same receivers for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_generated_request_gets_a_5xx(world, technician, keep_connection):
    auth = {"Authorization": f"Token {issue_token(technician)[1]}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            run_operation(operation, auth, world, failures, mode)
    # One line per (operation, kind of failure), so a single run shows every distinct problem.
    distinct = {line.split(" {")[0].split(" <")[0][:120]: line for line in failures}
    assert not failures, "\n".join(list(distinct.values())[:40])


def _titles(error: BaseException) -> str:
    """The failures' codes and titles (ST202 Schema-valid request rejected, ...) of a
    FailureGroup."""
    found = [
        f"{getattr(e, 'code', '')} {getattr(e, 'title', '')}".strip()
        for e in getattr(error, "exceptions", [error])
    ]
    return "[" + "; ".join(sorted(set(found))) + "]"


def run_operation(operation, auth, world, failures, mode):
    @given(case=operation.as_strategy(generation_mode=mode), aim_at_real=st.booleans())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case, aim_at_real):
        if aim_at_real and case.path_parameters and "id" in case.path_parameters:
            kind = "tenants" if "/tenants/" in operation.path else "onboardings"
            case.path_parameters = {**case.path_parameters, "id": world[kind]}
        response = case.call(headers=auth)
        try:  # and the answer agrees with the schema (documented status, shape, content type)
            case.validate_response(response, headers=auth, checks=CHECKS)
        except BaseException as error:  # schemathesis raises a FailureGroup (an exception group)
            failures.append(
                f"{mode} {case.method} {operation.path}: {_titles(error)} {case.query} "
                f"{case.body!r:.300} "
                f"-> {response.status_code} {response.content[:300]!r}"
            )
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} {case.query} {case.body!r} -> "
                f"{response.status_code}"
            )

    check()
