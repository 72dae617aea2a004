"""Graph emulator: the behaviours of docs/domain.md section 3, over real HTTPS with real tokens."""

from __future__ import annotations

from sandbox.common import GRAPH_APP_ID

from .conftest import Graph, msal_token

DIRECTORY_READ_ALL = "7ab1d382-f21e-4acd-a863-ba3e13f7da61"


def _graph_sp(graph) -> dict:
    r = graph.get(
        f"/servicePrincipals(appId='{GRAPH_APP_ID}')?$select=id,appRoles,oauth2PermissionScopes"
    )
    assert r.status_code == 200
    assert set(r.json()) == {"@odata.context", "id", "appRoles", "oauth2PermissionScopes"}
    return r.json()


def _new_app(graph, key="proofpoint-sync") -> dict:
    r = graph.patch(
        f"/applications(uniqueName='{key}')",
        {"displayName": "ProofPoint"},
        headers={"Prefer": "create-if-missing"},
    )
    assert r.status_code == 201
    return r.json()


def test_idempotent_app_create_is_201_then_204_and_404_without_prefer(msp_graph):
    app = _new_app(msp_graph)
    assert app["displayName"] == "ProofPoint" and app["uniqueName"] == "proofpoint-sync"
    again = msp_graph.patch(
        "/applications(uniqueName='proofpoint-sync')",
        {"displayName": "ProofPoint"},
        headers={"Prefer": "create-if-missing"},
    )
    assert again.status_code == 204 and again.content == b""
    assert (
        msp_graph.patch("/applications(uniqueName='other')", {"displayName": "x"}).status_code
        == 404
    )
    assert msp_graph.get(f"/applications(appId='{app['appId']}')").json()["id"] == app["id"]
    listed = msp_graph.get(f"/applications?$filter=appId eq '{app['appId']}'").json()["value"]
    assert [a["id"] for a in listed] == [app["id"]]


def test_secrets_show_a_hint_and_never_their_text_again(msp_graph):
    app = _new_app(msp_graph)
    secret = msp_graph.post(
        f"/applications/{app['id']}/addPassword", {"passwordCredential": {"displayName": "pp"}}
    )
    assert secret.status_code == 200
    body = secret.json()
    assert body["hint"] == body["secretText"][:3] and body["customKeyIdentifier"] is None
    assert body["endDateTime"][:4] == str(int(body["startDateTime"][:4]) + 2)
    stored = msp_graph.get(f"/applications/{app['id']}").json()["passwordCredentials"]
    assert stored[0]["keyId"] == body["keyId"] and stored[0]["secretText"] is None
    assert (
        msp_graph.post(
            f"/applications/{app['id']}/removePassword", {"keyId": body["keyId"]}
        ).status_code
        == 204
    )
    assert (
        msp_graph.post(
            f"/applications/{app['id']}/removePassword", {"keyId": body["keyId"]}
        ).status_code
        == 400
    )


def test_secret_lifetime_policy_refuses_long_secrets_and_forbidden_secrets(sb, http, msp_graph):
    app = _new_app(msp_graph)
    http.post(f"{sb.login_url}/_sandbox/knobs", json={"secret_max_lifetime_days": 180})
    r = msp_graph.post(f"/applications/{app['id']}/addPassword", {"passwordCredential": {}})
    assert (
        r.status_code == 400
        and r.json()["error"]["code"] == "CredentialInvalidLifetimeAsPerAppPolicy"
    )
    http.post(f"{sb.login_url}/_sandbox/knobs", json={"secrets_forbidden": True})
    r = msp_graph.post(f"/applications/{app['id']}/addPassword", {"passwordCredential": {}})
    assert r.json()["error"]["code"] == "CredentialTypeNotAllowedAsPerAppPolicy"


def test_service_principal_upsert_and_role_assignment_with_duplicate_error(msp_graph):
    app = _new_app(msp_graph)
    path = f"/servicePrincipals(appId='{app['appId']}')"
    sp = msp_graph.patch(path, {}, headers={"Prefer": "create-if-missing"})
    assert sp.status_code == 201
    assert msp_graph.patch(path, {}, headers={"Prefer": "create-if-missing"}).status_code == 204
    graph_sp = _graph_sp(msp_graph)
    assert DIRECTORY_READ_ALL in {r["id"] for r in graph_sp["appRoles"]}
    body = {
        "principalId": sp.json()["id"],
        "resourceId": graph_sp["id"],
        "appRoleId": DIRECTORY_READ_ALL,
    }
    first = msp_graph.post(f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", body)
    assert first.status_code == 201
    again = msp_graph.post(f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo", body)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "Request_BadRequest"
    assert (
        again.json()["error"]["message"]
        == "Permission being assigned already exists on the object."
    )
    assert set(again.json()["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert again.headers["request-id"] == again.json()["error"]["innerError"]["request-id"]


def test_a_second_grant_is_409_then_filter_and_patch(msp_graph):
    app = _new_app(msp_graph)
    sp = msp_graph.post("/servicePrincipals", {"appId": app["appId"]}).json()
    graph_sp = _graph_sp(msp_graph)
    body = {
        "clientId": sp["id"],
        "consentType": "AllPrincipals",
        "resourceId": graph_sp["id"],
        "scope": "Directory.Read.All Group.Read.All",
    }
    assert msp_graph.post("/oauth2PermissionGrants", body).status_code == 201
    again = msp_graph.post("/oauth2PermissionGrants", body)
    assert again.status_code == 409
    assert again.json()["error"] == {
        **again.json()["error"],
        "code": "Request_MultipleObjectsWithSameKeyValue",
        "message": "Permission entry already exists.",
    }
    found = msp_graph.get(
        f"/oauth2PermissionGrants?$filter=clientId eq '{sp['id']}' and resourceId eq "
        f"'{graph_sp['id']}'"
    ).json()["value"]
    assert len(found) == 1
    scope = "Directory.Read.All Group.Read.All User.ReadBasic.All"
    assert (
        msp_graph.patch(f"/oauth2PermissionGrants/{found[0]['id']}", {"scope": scope}).status_code
        == 204
    )
    assert msp_graph.get(f"/oauth2PermissionGrants/{found[0]['id']}").json()["scope"] == scope


def test_users_page_until_no_next_link_with_select(sb, msp_graph):
    url = (
        "/users?$select=id,displayName,accountEnabled,assignedLicenses,proxyAddresses,userType"
        "&$top=7"
    )
    seen, pages = [], 0
    while url:
        page = msp_graph.get(url, headers={"ConsistencyLevel": "eventual"}).json()
        assert all(
            set(u)
            == {
                "id",
                "displayName",
                "accountEnabled",
                "assignedLicenses",
                "proxyAddresses",
                "userType",
            }
            for u in page["value"]
        )
        seen += [u["id"] for u in page["value"]]
        url = page.get("@odata.nextLink")
        assert url is None or (
            url.startswith(sb.graph_url) and "$top=7" in url and "$select=" in url
        )
        pages += 1
    assert len(seen) == len(set(seen)) == 40 and pages == 6


def test_default_user_properties_leave_the_unselected_out(msp_graph):
    user = msp_graph.get("/users?$top=1").json()["value"][0]
    assert (
        "userPrincipalName" in user
        and "accountEnabled" not in user
        and "proxyAddresses" not in user
    )


def test_page_size_limits_and_skip(msp_graph):
    assert msp_graph.get("/users?$top=999").status_code == 200
    for query in ("$top=1000", "$top=0"):
        r = msp_graph.get(f"/users?{query}")
        assert (
            r.status_code == 400 and "Invalid page size specified" in r.json()["error"]["message"]
        )
    assert msp_graph.get("/users?$skip=5").status_code == 400


def test_domains_skus_groups_and_organization(msp_graph):
    domains = msp_graph.get("/domains").json()["value"]
    assert {"fabrikam.example", "fabrikam-mail.example"} <= {
        d["id"] for d in domains if d["isVerified"]
    }
    assert all("Email" in d["supportedServices"] for d in domains if d["isVerified"])
    skus = {s["skuPartNumber"] for s in msp_graph.get("/subscribedSkus").json()["value"]}
    assert {"O365_BUSINESS_PREMIUM", "ENTERPRISEPACK", "POWER_BI_STANDARD"} <= skus
    groups = msp_graph.get("/groups?$select=id,mail,mailEnabled,securityEnabled,groupTypes").json()[
        "value"
    ]
    assert any(g["mailEnabled"] and not g["securityEnabled"] for g in groups)
    assert msp_graph.get("/organization").json()["value"][0]["displayName"] == "Fabrikam"


def test_missing_consent_is_403_and_missing_token_401(sb, http, msp_graph):
    app = _new_app(msp_graph)
    msp_graph.post("/servicePrincipals", {"appId": app["appId"]})
    secret = msp_graph.post(f"/applications/{app['id']}/addPassword", {}).json()["secretText"]
    token = msal_token(sb, http, "fabrikam.example", app["appId"], secret)["access_token"]
    r = Graph(sb, http, token).get("/users")
    assert r.status_code == 403 and r.json()["error"]["code"] == "Authorization_RequestDenied"
    assert r.json()["error"]["message"] == "Insufficient privileges to complete the operation."
    assert Graph(sb, http, "").get("/users").json()["error"]["code"] == "InvalidAuthenticationToken"


def test_replication_delay_hides_new_apps_from_dependent_writes(sb, http, msp_graph):
    http.post(f"{sb.login_url}/_sandbox/knobs", json={"replication_delay_s": 30})
    app = _new_app(msp_graph)
    r = msp_graph.post("/servicePrincipals", {"appId": app["appId"]})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        f"The appId '{app['appId']}' of the service principal does not "
        "reference a valid application object."
    )
    assert msp_graph.get(f"/applications/{app['id']}").status_code == 404


def test_new_secret_propagation_delay_refuses_it_at_the_token_endpoint(sb, http, msp_graph):
    app = _new_app(msp_graph)
    msp_graph.post("/servicePrincipals", {"appId": app["appId"]})
    http.post(f"{sb.login_url}/_sandbox/knobs", json={"secret_propagation_s": 30})
    secret = msp_graph.post(f"/applications/{app['id']}/addPassword", {}).json()["secretText"]
    assert (
        "AADSTS7000215"
        in msal_token(sb, http, "fabrikam.example", app["appId"], secret)["error_description"]
    )


def test_expired_secret_is_7000222(sb, http, msp_graph):
    app = _new_app(msp_graph)
    msp_graph.post("/servicePrincipals", {"appId": app["appId"]})
    secret = msp_graph.post(
        f"/applications/{app['id']}/addPassword",
        {
            "passwordCredential": {
                "startDateTime": "2020-01-01T00:00:00Z",
                "endDateTime": "2021-01-01T00:00:00Z",
            }
        },
    ).json()["secretText"]
    assert (
        "AADSTS7000222"
        in msal_token(sb, http, "fabrikam.example", app["appId"], secret)["error_description"]
    )


def test_scripted_429_carries_a_fractional_retry_after_and_is_logged(sb, http, msp_graph):
    http.post(
        f"{sb.login_url}/_sandbox/knobs",
        json={
            "fail_next": [
                {
                    "service": "graph",
                    "route": "GET /v1.0/users",
                    "status": 429,
                    "retry_after": 2.128,
                }
            ]
        },
    )
    r = msp_graph.get("/users")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2.128"
    assert r.json()["error"]["code"] == "TooManyRequests"
    assert msp_graph.get("/users").status_code == 200
    counts = http.get(f"{sb.graph_url}/_sandbox/requests").json()["counts"]
    assert counts["GET /v1.0/users"] == 2


def test_a_100k_tenant_is_generated_on_demand_not_held_in_memory(sb, http):
    # Speed is measured by bench/ (report build row); here: users come from (seed, index), not a
    # list.
    import tracemalloc

    tracemalloc.start()
    r = http.post(
        f"{sb.login_url}/_sandbox/tenants",
        json={"domain": "huge.example", "users": 100_000, "seed": 7},
    )
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert r.status_code == 201
    assert held < 5_000_000  # 100,000 materialised users would take well over 50 MB
    directory = sb.state.tenant("huge.example").directory
    page = [directory.user(i) for i in range(99_000, 99_999)]
    assert len({u["userPrincipalName"] for u in page}) == 999
    assert directory.user(99_500) == directory.user(99_500)  # deterministic


def test_role_assignment_for_an_unreplicated_principal_is_not_a_valid_reference(
    sb, http, msp_graph
):
    app = _new_app(msp_graph)
    http.post(
        f"{sb.login_url}/_sandbox/knobs",
        json={"tenants": {"fabrikam.example": {"replication_delay_s": 30}}},
    )
    sp = msp_graph.post("/servicePrincipals", {"appId": app["appId"]}).json()
    graph_sp = _graph_sp(msp_graph)
    r = msp_graph.post(
        f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
        {"principalId": sp["id"], "resourceId": graph_sp["id"], "appRoleId": DIRECTORY_READ_ALL},
    )
    assert r.status_code == 400 and r.json()["error"]["message"] == "Not a valid reference update."


def test_consent_to_an_app_registered_in_the_tenant_grants_its_required_access(sb, http, msp_graph):
    access = [
        {"id": DIRECTORY_READ_ALL, "type": "Role"},
        {"id": "06da0dbc-49e2-44d2-8312-53f166ab848a", "type": "Scope"},
        {"id": "5f8c59db-677d-491f-a6b8-5f174b11ec1d", "type": "Scope"},
        {"id": "b340eb25-3456-403f-be2f-af7a0d370277", "type": "Scope"},
    ]
    app = msp_graph.patch(
        "/applications(uniqueName='pp')",
        {
            "displayName": "ProofPoint",
            "requiredResourceAccess": [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": access}],
        },
        headers={"Prefer": "create-if-missing"},
    ).json()
    r = http.post(
        f"{sb.login_url}/_sandbox/consent",
        json={"tenant": "fabrikam.example", "app_id": app["appId"]},
    )
    assert r.status_code == 200
    tenant = next(
        t
        for t in http.get(f"{sb.login_url}/_sandbox/state").json()["tenants"]
        if t["default_domain"] == "fabrikam.example"
    )
    sp_id = next(s["id"] for s in tenant["servicePrincipals"] if s["appId"] == app["appId"])
    assert [
        a["appRoleName"] for a in tenant["appRoleAssignments"] if a["principalId"] == sp_id
    ] == ["Directory.Read.All"]
    grant = next(g for g in tenant["oauth2PermissionGrants"] if g["clientId"] == sp_id)
    assert grant["consentType"] == "AllPrincipals"
    assert grant["scope"] == "Directory.Read.All Group.Read.All User.ReadBasic.All"


def test_a_reset_world_honours_no_token_issued_before_it(sb, http, msp_graph):
    assert msp_graph.get("/users").status_code == 200
    http.post(f"{sb.login_url}/_sandbox/reset")
    r = msp_graph.get("/users")  # the same bearer token as before the reset
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken"
