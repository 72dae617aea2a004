"""Breaking a live tenant the way customers do (POST /_sandbox/break), seen through the public
APIs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.sandbox_fixtures import SandboxAdmin

from .conftest import Graph, msal_token
from .live_tenant import SETTINGS, TENANT, azure_body, make_live, proofpoint


@pytest.fixture
def admin(sb):
    return SandboxAdmin(sb)


@pytest.fixture
def live(sb, http):
    return make_live(sb, http)


@pytest.fixture
def pp(sb, http):
    return proofpoint(sb, http)


def sync_token(sb, http, live) -> dict:
    return msal_token(sb, http, TENANT, live.app_id, live.secret)


def fresh_msp_graph(sb, http) -> Graph:
    return Graph(
        sb, http, msal_token(sb, http, TENANT, sb.msp["app_id"], sb.msp["secret"])["access_token"]
    )


def sync_state(admin) -> dict:
    """The emulated sync's inner state (the state endpoint only: Proofpoint's API shows no
    history)."""
    return next(o for o in admin.state()["proofpoint"]["orgs"] if o["primary_domain"] == TENANT)[
        "sync"
    ]


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_live_tenant_syncs_and_shows_what_health_checks_read(sb, http, live, pp):
    settings = pp("GET", SETTINGS).json()
    assert settings["application_id"] == live.app_id and settings["sync_frequency"] == 24
    assert settings["ad_key"] == "****"
    assert parse(settings["secret_expiry"]) > datetime.now(UTC) + timedelta(days=700)
    assert abs((parse(settings["last_successful_sync"]) - datetime.now(UTC)).total_seconds()) < 30
    assert "access_token" in sync_token(sb, http, live)


def test_a_save_with_frequency_0_runs_no_sync(sb, http, live, pp, admin):
    admin.set_last_successful_sync(TENANT, value=None)
    assert pp("PUT", SETTINGS, json=azure_body(live.app_id, live.secret, 0)).status_code == 204
    assert pp("GET", SETTINGS).json()["last_successful_sync"] is None


def test_the_scheduled_sync_runs_each_period_and_stops_when_credentials_fail(
    sb, http, live, pp, admin
):
    admin.set_last_successful_sync(TENANT, hours_ago=30)
    before = pp("GET", SETTINGS).json()["last_successful_sync"]
    assert parse(before) < datetime.now(UTC) - timedelta(hours=29)  # not due yet: the value holds
    org = sb.state.orgs[TENANT]
    org.sync_next_at = time.time() - 1  # the period has passed
    assert parse(pp("GET", SETTINGS).json()["last_successful_sync"]) > datetime.now(
        UTC
    ) - timedelta(minutes=1)
    admin.set_last_successful_sync(TENANT, hours_ago=30)
    admin.expire_secret(TENANT)
    org.sync_next_at = time.time() - 1
    assert parse(pp("GET", SETTINGS).json()["last_successful_sync"]) < datetime.now(
        UTC
    ) - timedelta(hours=29)
    assert "7000222" in sync_state(admin)["error"]
    assert org.sync_next_at > time.time() + 23 * 3600  # the next try is a period away


def test_the_sync_schedule_can_be_frozen(sb, live, pp, admin):
    admin.knobs(proofpoint_sync_runs=False)
    admin.set_last_successful_sync(TENANT, hours_ago=100)
    sb.state.orgs[TENANT].sync_next_at = time.time() - 1
    shown = parse(pp("GET", SETTINGS).json()["last_successful_sync"])
    assert datetime.now(UTC) - shown > timedelta(hours=99)


@pytest.mark.parametrize(
    "style, check",
    [
        ("epoch", lambda v: isinstance(v, int)),
        ("epoch_ms", lambda v: isinstance(v, int) and v > 10**12),
        ("space", lambda v: len(v) == 19 and v[10] == " "),
        ("iso_offset", lambda v: v.endswith("+00:00")),
        ("date", lambda v: len(v) == 10),
    ],
)
def test_timestamp_formats_for_defensive_parsing(live, pp, admin, style, check):
    admin.knobs(proofpoint_time_format=style)
    settings = pp("GET", SETTINGS).json()
    assert check(settings["secret_expiry"]) and check(settings["last_successful_sync"])


def test_timestamps_can_be_absent(live, pp, admin):
    admin.knobs(proofpoint_time_format="omit")
    settings = pp("GET", SETTINGS).json()
    assert "secret_expiry" not in settings and "last_successful_sync" not in settings


def test_add_a_verified_domain(sb, http, live, pp, admin):
    admin.add_domain(TENANT, "fabrikam-brand.example")
    domains = {d["id"]: d for d in live.graph.get("/domains").json()["value"]}
    assert domains["fabrikam-brand.example"]["isVerified"] is True
    admin.set_last_successful_sync(TENANT, hours_ago=5)
    assert (
        pp("PUT", SETTINGS, json=azure_body(live.app_id, live.secret)).status_code == 204
    )  # the save works
    assert parse(pp("GET", SETTINGS).json()["last_successful_sync"]) < datetime.now(
        UTC
    ) - timedelta(hours=4)
    assert "fabrikam-brand.example" in sync_state(admin)["error"]


def test_delete_the_sync_app(sb, http, live, admin):
    done = admin.delete_sync_app(TENANT)
    assert (
        done["app_id"] == live.app_id
        and done["assignments_removed"] == 1
        and done["grants_removed"] == 1
    )
    assert live.graph.get(f"/applications(appId='{live.app_id}')").status_code == 404
    assert live.graph.get(f"/servicePrincipals(appId='{live.app_id}')").status_code == 404
    tenant = admin.tenant(TENANT)
    assert tenant["applications"] == [] and tenant["oauth2PermissionGrants"] == []
    assert 700016 in sync_token(sb, http, live)["error_codes"]


def test_delete_the_service_principal(sb, http, live, admin):
    admin.delete_sync_service_principal(TENANT)
    assert live.graph.get(f"/applications(appId='{live.app_id}')").status_code == 200
    assert live.graph.get(f"/servicePrincipals(appId='{live.app_id}')").status_code == 404
    assert 7000229 in sync_token(sb, http, live)["error_codes"]


def test_remove_the_grant_or_narrow_it(live, admin):
    query = f"/oauth2PermissionGrants?$filter=clientId eq '{live.sp['id']}'"
    admin.narrow_grant(TENANT, "User.ReadBasic.All")
    assert [g["scope"] for g in live.graph.get(query).json()["value"]] == ["User.ReadBasic.All"]
    admin.remove_grant(TENANT)
    assert live.graph.get(query).json()["value"] == []
    with pytest.raises(Exception, match="404"):
        admin.remove_grant(TENANT)


def test_remove_the_role_assignment(sb, http, live, pp, admin):
    admin.remove_role_assignment(TENANT, "Directory.Read.All")
    assert (
        live.graph.get(f"/servicePrincipals/{live.sp['id']}/appRoleAssignments").json()["value"]
        == []
    )
    token = sync_token(sb, http, live)
    assert "access_token" in token  # a token, but without the role: Proofpoint's save refuses it
    refused = pp("PUT", SETTINGS, json=azure_body(live.app_id, live.secret))
    assert refused.status_code == 400 and "Directory.Read.All" in refused.json()["message"]


def test_revoke_the_msp_apps_consent(sb, http, live, admin):
    held = live.graph
    admin.revoke_consent(TENANT)
    answer = msal_token(sb, http, TENANT, sb.msp["app_id"], sb.msp["secret"])
    assert answer["error"] == "unauthorized_client" and 700016 in answer["error_codes"]
    refused = held.get("/applications")
    assert (
        refused.status_code == 401
        and refused.json()["error"]["code"] == "InvalidAuthenticationToken"
    )
    assert "access_token" in sync_token(sb, http, live)  # the sync app itself is untouched
    assert "access_token" in msal_token(
        sb, http, sb.msp["tenant_id"], sb.msp["app_id"], sb.msp["secret"]
    )
    admin.consent(TENANT)  # the customer consents again: a new service principal, tokens work
    assert fresh_msp_graph(sb, http).get("/applications").status_code == 200


def test_proofpoint_frequency_0_and_deleted_settings(live, pp, admin):
    admin.set_sync_frequency(TENANT, 0)
    assert pp("GET", SETTINGS).json()["sync_frequency"] == 0
    admin.set_sync_app_id(TENANT, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
    assert pp("GET", SETTINGS).json()["application_id"] == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    admin.delete_sync_settings(TENANT)
    assert pp("GET", SETTINGS).status_code == 404


def test_let_the_secret_expire(sb, http, live, pp, admin):
    done = admin.expire_secret(TENANT, days_ago=3)
    assert done["key_ids"] == [live.key_id]
    app = live.graph.get(f"/applications(appId='{live.app_id}')").json()
    end = parse(app["passwordCredentials"][0]["endDateTime"])
    assert timedelta(days=2) < datetime.now(UTC) - end < timedelta(days=4)
    answer = sync_token(sb, http, live)
    assert answer["error"] == "invalid_client" and 7000222 in answer["error_codes"]
    assert parse(pp("GET", SETTINGS).json()["secret_expiry"]) == end


def test_a_secret_about_to_expire(sb, http, live, pp, admin):
    admin.secret_expiring(TENANT, days=10)
    end = parse(pp("GET", SETTINGS).json()["secret_expiry"])
    assert timedelta(days=9) < end - datetime.now(UTC) < timedelta(days=11)
    assert "access_token" in sync_token(sb, http, live)


def test_a_clock_offset_expires_secrets_and_tokens_in_that_tenant_only(sb, http, live, admin):
    msp_token = msal_token(sb, http, TENANT, sb.msp["app_id"], sb.msp["secret"])["access_token"]
    admin.clock_offset(TENANT, 800 * 86400)
    answer = sync_token(sb, http, live)
    assert 7000222 in answer["error_codes"]
    stale = Graph(sb, http, msp_token).get("/applications")
    assert stale.status_code == 401 and "expired" in stale.json()["error"]["message"]
    assert (
        fresh_msp_graph(sb, http).get("/applications").status_code == 200
    )  # the MSP's secret lasts
    admin.consent("northwind.example")
    other = msal_token(sb, http, "northwind.example", sb.msp["app_id"], sb.msp["secret"])
    assert Graph(sb, http, other["access_token"]).get("/applications").status_code == 200
    admin.clock_offset(TENANT, 0)
    assert "access_token" in sync_token(sb, http, live)


def test_org_domain_removed_and_licences(live, pp, admin):
    admin.remove_org_domain(TENANT, "fabrikam-mail.example")
    assert [d["name"] for d in pp("GET", f"/orgs/{TENANT}/domains").json()["domains"]] == [TENANT]
    admin.set_licences(TENANT, 0)
    assert pp("GET", f"/orgs/{TENANT}").json()["user_licenses"] == 0


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"tenant": TENANT, "what": "explode"}, 400, "what must be one of"),
        ({"what": "delete_app"}, 400, "tenant is required"),
        ({"tenant": "nobody.example", "what": "delete_app"}, 404, "no Entra tenant"),
        ({"tenant": TENANT, "what": "delete_app"}, 404, "no app registration"),
        ({"tenant": TENANT, "what": "revoke_consent"}, 404, "no consent"),
        ({"tenant": TENANT, "what": "add_domain"}, 400, "domain is required"),
        (
            {"tenant": TENANT, "what": "add_domain", "domain": "northwind.example"},
            400,
            "already belongs",
        ),
        ({"tenant": TENANT, "what": "delete_sync_settings"}, 404, "no Azure sync settings"),
        ({"tenant": TENANT, "what": "licences", "user_licenses": -1}, 400, "whole number"),
        ({"tenant": TENANT, "what": "mx"}, 400, "mx is required"),
    ],
)
def test_breaks_that_cannot_be_done_say_why(sb, http, body, status, words):
    answer = http.post(f"{sb.login_url}/_sandbox/break", json=body)
    assert answer.status_code == status and words in answer.json()["error"]


def test_an_app_must_be_named_when_there_are_several(sb, http, live, admin):
    live.graph.post("/applications", {"displayName": "Another app"})
    admin.delete_sync_settings(TENANT)
    answer = http.post(
        f"{sb.login_url}/_sandbox/break", json={"tenant": TENANT, "what": "delete_app"}
    )
    assert answer.status_code == 400 and "say which with app_id" in answer.json()["error"]
    assert admin.delete_sync_app(TENANT, live.app_id)["app_id"] == live.app_id
