"""Graph calls against scripted answers: upserts, consent grants, secrets, paging, typed errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.errors import (
    InsufficientPrivileges,
    NotFound,
    PermanentError,
    ReplicationPending,
    SecretLifetimeRefused,
    SecretsNotAllowed,
    TransientError,
)
from integrations.microsoft.graph import GRAPH_APP_ID
from tests.integrations.graph_payloads import graph_client, graph_error, script_login
from tests.integrations.stub import answer

V1 = "/graph/v1.0"
APP_KEY_PATH = f"{V1}/applications(uniqueName='proofpoint-sync')"


@pytest.fixture
def graph(stub, session, config):
    script_login(stub)
    return graph_client(stub, session, config, replication_timeout=30)


def test_upsert_201_returns_the_created_app(stub, graph):
    stub.on("PATCH", APP_KEY_PATH, answer(201, {"id": "obj1", "appId": "app1"}))
    app, created = graph.upsert_application("proofpoint-sync", {"displayName": "ProofPoint"})
    assert (app["id"], created) == ("obj1", True)
    sent = stub.requests_to(APP_KEY_PATH)[0]
    assert sent.headers["Prefer"] == "create-if-missing"
    assert sent.json() == {"displayName": "ProofPoint"}


def test_upsert_204_fetches_the_app(stub, graph):
    stub.on("PATCH", APP_KEY_PATH, answer(204))
    stub.on("GET", APP_KEY_PATH, answer(200, {"id": "obj1", "appId": "app1"}))
    app, created = graph.upsert_application("proofpoint-sync", {"displayName": "ProofPoint"})
    assert (app["appId"], created) == ("app1", False)


def test_find_application_by_unique_name_is_none_when_missing(stub, graph):
    stub.on(
        "GET",
        APP_KEY_PATH,
        graph_error(404, "Request_ResourceNotFound", "Resource does not exist."),
    )
    assert graph.find_application_by_unique_name("proofpoint-sync") is None


def test_service_principal_upsert_retries_while_the_app_replicates(stub, graph, fake_time):
    path = f"{V1}/servicePrincipals(appId='app1')"
    not_yet = graph_error(
        400,
        "Request_BadRequest",
        "The appId 'app1' of the service principal does not reference a valid application object.",
    )
    stub.on(
        "PATCH", path, not_yet, graph_error(404, "Request_ResourceNotFound", "nope"), answer(204)
    )
    stub.on("GET", path, answer(200, {"id": "sp1", "appId": "app1"}))
    assert graph.upsert_service_principal("app1")["id"] == "sp1"
    assert len(fake_time.sleeps) == 2
    assert stub.requests_to(path)[0].headers["Prefer"] == "create-if-missing"


def test_replication_retries_give_up_after_the_bounded_time(stub, graph, fake_time):
    path = f"{V1}/servicePrincipals(appId='app1')"
    stub.on("PATCH", path, graph_error(404, "Request_ResourceNotFound", "nope", "rid-r"))
    with pytest.raises(ReplicationPending) as caught:
        graph.upsert_service_principal("app1")
    assert sum(fake_time.sleeps) <= 30 and caught.value.request_id == "rid-r"


def test_graph_service_principal_is_read_by_app_id_with_select(stub, graph):
    path = f"{V1}/servicePrincipals(appId='{GRAPH_APP_ID}')"
    stub.on("GET", path, answer(200, {"id": "graph-sp", "appRoles": []}))
    assert graph.get_graph_service_principal()["id"] == "graph-sp"
    assert stub.requests_to(path)[0].query == "$select=id,appId,appRoles,oauth2PermissionScopes"


def test_role_assignment_created(stub, graph):
    path = f"{V1}/servicePrincipals/graph-sp/appRoleAssignedTo"
    stub.on("POST", path, answer(201, {"id": "as1"}))
    assert graph.assign_app_role("sp1", "graph-sp", "role1") is True
    assert stub.requests_to(path)[0].json() == {
        "principalId": "sp1",
        "resourceId": "graph-sp",
        "appRoleId": "role1",
    }


def test_duplicate_role_assignment_counts_as_done(stub, graph):
    stub.on(
        "POST",
        f"{V1}/servicePrincipals/graph-sp/appRoleAssignedTo",
        graph_error(
            400, "Request_BadRequest", "Permission being assigned already exists on the object."
        ),
    )
    assert graph.assign_app_role("sp1", "graph-sp", "role1") is False


def test_role_assignment_retries_not_a_valid_reference(stub, graph, fake_time):
    stub.on(
        "POST",
        f"{V1}/servicePrincipals/graph-sp/appRoleAssignedTo",
        graph_error(400, "Request_BadRequest", "Not a valid reference update."),
        answer(201, {}),
    )
    assert graph.assign_app_role("sp1", "graph-sp", "role1") is True
    assert len(fake_time.sleeps) == 1


GRANTS = f"{V1}/oauth2PermissionGrants"
SCOPE = "Directory.Read.All Group.Read.All User.ReadBasic.All"
EXISTS = graph_error(
    409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists."
)


def test_grant_201_is_created(stub, graph):
    stub.on("POST", GRANTS, answer(201, {"id": "g1"}))
    assert graph.ensure_delegated_grant("sp1", "graph-sp", SCOPE) == "created"
    assert stub.requests_to(GRANTS)[0].json() == {
        "clientId": "sp1",
        "consentType": "AllPrincipals",
        "resourceId": "graph-sp",
        "scope": SCOPE,
    }


def test_grant_409_patches_the_scope(stub, graph):
    stub.on("POST", GRANTS, EXISTS)
    stub.on(
        "GET",
        GRANTS,
        answer(
            200,
            {
                "value": [
                    {
                        "id": "g1",
                        "clientId": "sp1",
                        "resourceId": "graph-sp",
                        "consentType": "AllPrincipals",
                        "scope": "User.Read",
                    }
                ]
            },
        ),
    )
    stub.on("PATCH", f"{GRANTS}/g1", answer(204))
    assert graph.ensure_delegated_grant("sp1", "graph-sp", SCOPE) == "updated"
    assert stub.requests_to(f"{GRANTS}/g1")[0].json() == {"scope": SCOPE}
    lookup = [s for s in stub.requests_to(GRANTS) if s.method == "GET"][0]
    assert lookup.query == "$filter=clientId%20eq%20'sp1'%20and%20resourceId%20eq%20'graph-sp'"


def test_grant_409_with_the_same_scope_is_unchanged(stub, graph):
    stub.on("POST", GRANTS, EXISTS)
    stub.on(
        "GET",
        GRANTS,
        answer(
            200,
            {
                "value": [
                    {
                        "id": "g1",
                        "consentType": "AllPrincipals",
                        "scope": " User.ReadBasic.All Group.Read.All Directory.Read.All",
                    }
                ]
            },
        ),
    )
    assert graph.ensure_delegated_grant("sp1", "graph-sp", SCOPE) == "unchanged"
    assert not stub.requests_to(f"{GRANTS}/g1")


def test_add_password_sends_display_name_and_end_date(stub, graph):
    path = f"{V1}/applications/obj1/addPassword"
    stub.on("POST", path, answer(200, {"keyId": "k1", "secretText": "txt", "hint": "txt"}))
    end = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)
    assert graph.add_password("obj1", "Proofpoint sync", end)["keyId"] == "k1"
    assert stub.requests_to(path)[0].json() == {
        "passwordCredential": {
            "displayName": "Proofpoint sync",
            "endDateTime": "2027-05-01T12:00:00Z",
        }
    }


def test_add_password_is_not_repeated_after_a_gateway_timeout(stub, graph):
    path = f"{V1}/applications/obj1/addPassword"
    stub.on("POST", path, graph_error(504, "GatewayTimeout", "timeout"))
    with pytest.raises(TransientError):
        graph.add_password("obj1", "x", "2027-05-01T12:00:00Z")
    assert len(stub.requests_to(path)) == 1


def test_a_secret_lifetime_policy_is_secret_lifetime_refused(stub, graph):
    stub.on(
        "POST",
        f"{V1}/applications/obj1/addPassword",
        graph_error(
            400,
            "CredentialInvalidLifetimeAsPerAppPolicy",
            "Credential lifetime exceeds the max value allowed.",
        ),
    )
    with pytest.raises(SecretLifetimeRefused):
        graph.add_password("obj1", "x", "2027-05-01T12:00:00Z")


def test_a_policy_refusing_secrets_is_secrets_not_allowed(stub, graph):
    stub.on(
        "POST",
        f"{V1}/applications/obj1/addPassword",
        graph_error(
            400, "CredentialTypeNotAllowedAsPerAppPolicy", "Password credentials are not allowed."
        ),
    )
    with pytest.raises(SecretsNotAllowed):
        graph.add_password("obj1", "x", "2027-05-01T12:00:00Z")


def test_remove_and_list_passwords(stub, graph):
    stub.on("POST", f"{V1}/applications/obj1/removePassword", answer(204))
    stub.on(
        "GET", f"{V1}/applications/obj1", answer(200, {"passwordCredentials": [{"keyId": "k1"}]})
    )
    assert graph.remove_password("obj1", "k0") is True
    assert stub.requests_to(f"{V1}/applications/obj1/removePassword")[0].json() == {"keyId": "k0"}
    assert graph.list_password_credentials("obj1") == [{"keyId": "k1"}]
    assert stub.requests_to(f"{V1}/applications/obj1")[0].query == "$select=passwordCredentials"


def test_paging_follows_next_link_verbatim_and_resends_headers(stub, graph):
    next_link = f"{stub.url}{V1}/users?$select=id,mail&$top=2&$skiptoken=RFNwdAIAAQAAAD8%3D%2BxY'z"
    stub.on(
        "GET",
        f"{V1}/users",
        answer(200, {"value": [{"id": "1"}, {"id": "2"}], "@odata.nextLink": next_link}),
        answer(200, {"value": [{"id": "3"}]}),
    )
    pages = list(
        graph.iter_user_pages(["id", "mail"], page_size=2, headers={"ConsistencyLevel": "eventual"})
    )
    assert pages == [[{"id": "1"}, {"id": "2"}], [{"id": "3"}]]
    first, second = stub.requests_to(f"{V1}/users")
    assert first.query == "$select=id,mail&$top=2"
    assert second.query == next_link.split("?", 1)[1]
    assert first.headers["Consistencylevel"] == second.headers["Consistencylevel"] == "eventual"
    assert second.headers["Authorization"].startswith("Bearer ")


def test_page_size_must_be_1_to_999(graph):
    with pytest.raises(ValueError):
        graph.iter_group_pages(["id"], page_size=1000)
    with pytest.raises(ValueError):
        graph.iter_user_pages(["id"], page_size=0)


def test_a_next_link_to_another_host_is_not_followed(stub, graph):
    stub.on(
        "GET",
        f"{V1}/groups",
        answer(200, {"value": [], "@odata.nextLink": "https://evil.example/steal"}),
    )
    with pytest.raises(PermanentError):
        list(graph.iter_group_pages(["id"]))


def test_lists_follow_paging_too(stub, graph):
    stub.on(
        "GET",
        f"{V1}/domains",
        answer(
            200, {"value": [{"id": "a.com"}], "@odata.nextLink": f"{stub.url}{V1}/domains?page=2"}
        ),
        answer(200, {"value": [{"id": "b.com"}]}),
    )
    assert [d["id"] for d in graph.list_domains()] == ["a.com", "b.com"]


def test_403_is_insufficient_privileges_with_an_actionable_message(stub, graph):
    stub.on(
        "GET",
        f"{V1}/subscribedSkus",
        graph_error(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            "rid-403",
        ),
    )
    with pytest.raises(InsufficientPrivileges) as caught:
        graph.list_subscribed_skus()
    error = caught.value
    assert (error.status, error.code, error.request_id) == (
        403,
        "Authorization_RequestDenied",
        "rid-403",
    )
    assert "Global Administrator" in error.message


def test_404_is_not_found(stub, graph):
    stub.on("GET", f"{V1}/applications/nope", graph_error(404, "Request_ResourceNotFound", "gone"))
    with pytest.raises(NotFound):
        graph.get_application("nope")


def test_throttling_after_the_sessions_retries_is_transient_with_graph_code(stub, graph, fake_time):
    stub.on(
        "GET",
        f"{V1}/organization",
        graph_error(429, "TooManyRequests", "Slow down", "rid-429", {"Retry-After": "0.5"}),
    )
    with pytest.raises(TransientError) as caught:
        graph.get_organization()
    error = caught.value
    assert (error.code, error.request_id, error.retry_after) == ("TooManyRequests", "rid-429", 0.5)
    assert len(fake_time.sleeps) == 4


def test_a_graph_error_without_json_still_has_the_request_id_header(stub, graph):
    stub.on("GET", f"{V1}/organization", answer(401, "nope", {"request-id": "rid-h"}))
    with pytest.raises(PermanentError) as caught:
        graph.get_organization()
    assert caught.value.request_id == "rid-h"


def test_a_token_graph_no_longer_honours_is_replaced_once(stub, session, config):
    # Consent revoked or continuous access evaluation: Graph answers 401 to a still-unexpired token.
    fresh = answer(200, {"access_token": "fresh-token", "token_type": "Bearer", "expires_in": 3600})
    script_login(
        stub,
        answer(200, {"access_token": "stale-token", "token_type": "Bearer", "expires_in": 3600}),
        fresh,
    )
    stub.on(
        "GET",
        f"{V1}/organization",
        graph_error(401, "InvalidAuthenticationToken", "Access token validation failure."),
        answer(200, {"value": [{"id": "org1"}]}),
    )
    graph = graph_client(stub, session, config)
    assert graph.get_organization()["id"] == "org1"
    sent = [r.headers["Authorization"] for r in stub.requests_to(f"{V1}/organization")]
    assert sent == ["Bearer stale-token", "Bearer fresh-token"]


def test_a_second_401_is_a_permanent_error(stub, session, config):
    script_login(
        stub, answer(200, {"access_token": "t", "token_type": "Bearer", "expires_in": 3600})
    )
    rejected = graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
    stub.on("GET", f"{V1}/organization", rejected)
    graph = graph_client(stub, session, config)
    with pytest.raises(PermanentError, match="InvalidAuthenticationToken"):
        graph.get_organization()
    assert len(stub.requests_to(f"{V1}/organization")) == 2
