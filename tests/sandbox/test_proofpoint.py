"""Proofpoint Essentials emulator: auth, orgs, users (single, batch, 207), Azure settings checked
for real."""

from __future__ import annotations

import pytest

from .conftest import consent, msal_token

DIRECTORY_READ_ALL = "7ab1d382-f21e-4acd-a863-ba3e13f7da61"


@pytest.fixture
def pp(sb, http):
    creds = sb.proofpoint_credentials
    headers = {"X-User": creds["user"], "X-Password": creds["password"]}

    def call(method, path, **kwargs):
        return http.request(
            method,
            f"{sb.proofpoint_url}{path}",
            headers={**headers, **kwargs.pop("headers", {})},
            **kwargs,
        )

    return call


def test_headers_are_required_and_basic_auth_is_refused(sb, http, pp):
    creds = sb.proofpoint_credentials
    assert (
        http.get(f"{sb.proofpoint_url}/me", auth=(creds["user"], creds["password"])).status_code
        == 401
    )
    r = pp("GET", "/me", headers={"X-correlator": "abc-123"})
    assert r.status_code == 200 and r.headers["X-correlator"] == "abc-123"
    assert r.json()["entity_primary_domain"] == "msp-partner.example"


def test_orgs_list_create_conflict_and_validation(pp):
    assert [
        o["primary_domain"] for o in pp("GET", "/orgs/msp-partner.example/orgs").json()["orgs"]
    ] == ["fabrikam.example"]
    body = {
        "primary_domain": "northwind.example",
        "name": "Northwind",
        "user_licenses": 1000,
        "admin_user": {"primary_email": "admin@northwind.example"},
        "domains": [{"name": "northwind.example"}],
    }
    assert pp("POST", "/orgs/msp-partner.example/orgs", json=body).status_code == 201
    assert pp("POST", "/orgs/msp-partner.example/orgs", json=body).status_code == 409
    bad = pp("POST", "/orgs/msp-partner.example/orgs", json={**body, "user_licenses": "many"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["identifier"] == "user_licenses"
    assert (
        pp("GET", "/endpoints/northwind.example").json()["endpoint"]
        == "https://us1.proofpointessentials.com"
    )


def test_domains_crud(pp):
    org = "/orgs/fabrikam.example/domains"
    assert (
        pp(
            "POST",
            org,
            json={
                "name": "fabrikam-mail.example",
                "is_relay": True,
                "destination": "fabrikam.mail.protection.outlook.com",
            },
        ).status_code
        == 201
    )
    assert pp("PUT", f"{org}/fabrikam-mail.example", json={"is_active": False}).status_code == 204
    assert pp("GET", f"{org}/fabrikam-mail.example").json()["is_active"] is False
    assert len(pp("GET", org).json()["domains"]) == 2
    assert pp("DELETE", f"{org}/fabrikam-mail.example").status_code == 204


def test_users_single_conflict_and_a_batch_with_an_injected_failure_is_207(sb, http, pp):
    users = "/orgs/fabrikam.example/users"
    one = {
        "primary_email": "adele@fabrikam.example",
        "firstname": "Adele",
        "surname": "Vance",
        "alias_emails": ["av@fabrikam.example"],
    }
    assert pp("POST", users, json=one).status_code == 201
    assert (
        pp(
            "POST",
            users,
            json={"primary_email": "x@fabrikam.example", "alias_emails": ["av@fabrikam.example"]},
        ).status_code
        == 409
    )
    http.post(
        f"{sb.login_url}/_sandbox/knobs", json={"proofpoint_fail_emails": ["bad@fabrikam.example"]}
    )
    batch = pp(
        "POST",
        users,
        json=[{"primary_email": "ok@fabrikam.example"}, {"primary_email": "bad@fabrikam.example"}],
    )
    assert batch.status_code == 207
    assert [u["primary_email"] for u in batch.json()["users"]] == ["ok@fabrikam.example"]
    assert batch.json()["errors"][0]["identifier"] == "bad@fabrikam.example"
    assert (
        pp("PUT", f"{users}/ok@fabrikam.example", json={"type": "functional_account"}).status_code
        == 204
    )
    assert pp("DELETE", f"{users}/ok@fabrikam.example").status_code == 204
    assert {u["primary_email"] for u in pp("GET", users).json()["users"]} == {
        "it-admin@fabrikam.example",
        "adele@fabrikam.example",
    }


def _azure_body(app_id, secret, **changes):
    body = {
        "primary_domain": "fabrikam.example",
        "application_id": app_id,
        "ad_key": secret,
        "default_user_role_name": "end_user",
        "sync_frequency": 0,
        "sync_active_users": True,
        "sync_distribution_groups": True,
        "sync_security_groups": False,
        "add_users": True,
        "update_users": True,
        "remove_deleted_users": False,
        "add_groups": True,
        "update_groups": True,
        "remove_deleted_groups": False,
        "disable_login": False,
    }
    return {**body, **changes}


def test_azure_settings_are_verified_against_the_tenant(sb, http, pp, msp_graph):
    path = "/orgs/fabrikam.example/settings/azure"
    assert pp("GET", path).status_code == 404
    app = msp_graph.patch(
        "/applications(uniqueName='pp')",
        {"displayName": "ProofPoint"},
        headers={"Prefer": "create-if-missing"},
    ).json()
    sp = msp_graph.post("/servicePrincipals", {"appId": app["appId"]}).json()
    secret = msp_graph.post(f"/applications/{app['id']}/addPassword", {}).json()["secretText"]
    missing = pp(
        "PUT",
        path,
        json={k: v for k, v in _azure_body(app["appId"], secret).items() if k != "add_groups"},
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["identifier"] == "add_groups"
    no_consent = pp("PUT", path, json=_azure_body(app["appId"], secret))
    assert no_consent.status_code == 400 and "Directory.Read.All" in no_consent.json()["message"]
    graph_sp = msp_graph.get(
        "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"
    ).json()
    msp_graph.post(
        f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
        {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": DIRECTORY_READ_ALL},
    )
    assert pp("PUT", path, json=_azure_body(app["appId"], "wrong")).status_code == 400
    assert pp("PUT", path, json=_azure_body(app["appId"], secret)).status_code == 204
    saved = pp("GET", path).json()
    assert saved["ad_key"] == "****" and saved["secret_expiry"] and saved["sync_frequency"] == 0


def test_exemptions(pp):
    path = "/orgs/fabrikam.example/settings/azure/exemptions"
    assert pp("PUT", path, json=["a@fabrikam.example", "b@fabrikam.example"]).status_code == 204
    assert pp("GET", path).json() == [
        {"email": "a@fabrikam.example"},
        {"email": "b@fabrikam.example"},
    ]
    assert pp("DELETE", f"{path}/a@fabrikam.example").status_code == 204
    assert pp("GET", path).json() == [{"email": "b@fabrikam.example"}]


def test_consent_for_an_unrelated_tenant_gives_no_token_there(sb, http):
    consent(sb, http, "fabrikam.example")
    assert "error" in msal_token(sb, http, "northwind.example", sb.msp["app_id"], sb.msp["secret"])
