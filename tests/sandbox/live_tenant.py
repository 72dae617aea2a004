"""A live tenant made through the public APIs, as an onboarding would leave it: for the break tests.

fabrikam.example: the MSP app consented; a sync app with its service principal, Directory.Read.All
(application), the delegated grant, one secret; both Entra domains in the Proofpoint org;
settings/azure saved at 24 hours with that app and secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from .conftest import Graph, consent, msal_token

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
DIRECTORY_READ_ALL_ROLE = "7ab1d382-f21e-4acd-a863-ba3e13f7da61"
SCOPES = {
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "Group.Read.All": "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
    "User.ReadBasic.All": "b340eb25-3456-403f-be2f-af7a0d370277",
}
TENANT = "fabrikam.example"
SETTINGS = f"/orgs/{TENANT}/settings/azure"


@dataclass
class Live:
    graph: Graph
    app: dict
    sp: dict
    secret: str
    key_id: str

    @property
    def app_id(self) -> str:
        return self.app["appId"]


def proofpoint(sb, http):
    creds = sb.proofpoint_credentials
    headers = {"X-User": creds["user"], "X-Password": creds["password"]}

    def call(method, path, **kwargs):
        return http.request(method, f"{sb.proofpoint_url}{path}", headers=headers, **kwargs)

    return call


def azure_body(app_id: str, secret: str, frequency: int = 24) -> dict:
    return {
        "primary_domain": TENANT,
        "application_id": app_id,
        "ad_key": secret,
        "default_user_role_name": "end_user",
        "sync_frequency": frequency,
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


def make_live(sb, http, frequency: int = 24) -> Live:
    consent(sb, http, TENANT)
    graph = Graph(
        sb, http, msal_token(sb, http, TENANT, sb.msp["app_id"], sb.msp["secret"])["access_token"]
    )
    access = [{"id": DIRECTORY_READ_ALL_ROLE, "type": "Role"}]
    access += [{"id": guid, "type": "Scope"} for guid in SCOPES.values()]
    body = {
        "displayName": "ProofPoint",
        "signInAudience": "AzureADMyOrg",
        "requiredResourceAccess": [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": access}],
    }
    app = graph.patch(
        "/applications(uniqueName='proofpoint-sync-1-test')",
        body,
        headers={"Prefer": "create-if-missing"},
    ).json()
    sp = graph.post("/servicePrincipals", {"appId": app["appId"]}).json()
    graph_sp = graph.get(f"/servicePrincipals(appId='{GRAPH_APP_ID}')").json()
    assert (
        graph.post(
            f"/servicePrincipals/{graph_sp['id']}/appRoleAssignedTo",
            {
                "principalId": sp["id"],
                "resourceId": graph_sp["id"],
                "appRoleId": DIRECTORY_READ_ALL_ROLE,
            },
        ).status_code
        == 201
    )
    assert (
        graph.post(
            "/oauth2PermissionGrants",
            {
                "clientId": sp["id"],
                "consentType": "AllPrincipals",
                "resourceId": graph_sp["id"],
                "scope": " ".join(SCOPES),
            },
        ).status_code
        == 201
    )
    password = graph.post(
        f"/applications/{app['id']}/addPassword",
        {"passwordCredential": {"displayName": "Proofpoint sync"}},
    ).json()
    pp = proofpoint(sb, http)
    assert (
        pp("POST", f"/orgs/{TENANT}/domains", json={"name": "fabrikam-mail.example"}).status_code
        == 201
    )
    saved = pp("PUT", SETTINGS, json=azure_body(app["appId"], password["secretText"], frequency))
    assert saved.status_code == 204, saved.text
    return Live(graph, app, sp, password["secretText"], password["keyId"])
