"""Proofpoint Essentials client against scripted answers over real HTTPS."""

from __future__ import annotations

import threading
import time

import pytest

from integrations.errors import (
    AlreadyExists,
    NotFound,
    ProofpointAuthFailed,
    ProofpointRejected,
    TransientError,
)
from integrations.proofpoint.client import ProofpointClient, base_url_for_stack
from tests.integrations.stub import answer

USER = "api-admin@msp.example"
PASSWORD = "P@ssw0rd-never-logged"
ORG = "contoso.com"
USERS = f"/api/v1/orgs/{ORG}/users"
AZURE = f"/api/v1/orgs/{ORG}/settings/azure"


@pytest.fixture
def proofpoint(stub, session, config):
    return ProofpointClient(
        base_url_for_stack("us1", override=f"{stub.url}/api/v1/"), USER, PASSWORD, session, config
    )


def test_base_url_for_stack_builds_the_host_from_the_stack():
    assert base_url_for_stack("eu1") == "https://eu1.proofpointessentials.com/api/v1"
    assert (
        base_url_for_stack("us3", "https://pp.sandbox:8443/api/v1/")
        == "https://pp.sandbox:8443/api/v1"
    )
    with pytest.raises(ValueError):
        base_url_for_stack("evil.example/x")


def test_it_sends_x_user_and_x_password_not_basic_auth_and_a_correlator(stub, proofpoint):
    stub.on("GET", "/api/v1/me", answer(200, {"primary_email": USER}))
    proofpoint.me()
    proofpoint.me()
    first, second = stub.requests_to("/api/v1/me")
    assert (first.headers["X-User"], first.headers["X-Password"]) == (USER, PASSWORD)
    assert "Authorization" not in first.headers
    assert first.headers["X-Correlator"] != second.headers["X-Correlator"]


def test_401_is_proofpoint_auth_failed(stub, proofpoint):
    stub.on("GET", "/api/v1/me", answer(401, {"message": "Invalid credentials"}))
    with pytest.raises(ProofpointAuthFailed) as caught:
        proofpoint.me()
    assert "Proofpoint refused the API user's credentials" in caught.value.message
    assert "Invalid credentials" in caught.value.message
    assert caught.value.request_id  # the X-correlator we sent


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"message": "primary_domain is invalid"}, "primary_domain is invalid"),
        ({"error": "Bad things"}, "Bad things"),
        (
            {"errors": [{"status": 422, "error_message": "bad email", "identifier": "x@y"}]},
            "x@y: bad email",
        ),
        ("plain text trouble", "plain text trouble"),
    ],
)
def test_error_bodies_of_every_shape_are_shown(stub, proofpoint, body, shown):
    stub.on("POST", "/api/v1/orgs/msp.example/orgs", answer(422, body))
    with pytest.raises(ProofpointRejected) as caught:
        proofpoint.create_org("msp.example", {"primary_domain": ORG, "name": "Contoso"})
    assert shown in caught.value.message


def test_create_org_409_fetches_the_existing_org(stub, proofpoint):
    stub.on("POST", "/api/v1/orgs/msp.example/orgs", answer(409, {"message": "exists"}))
    stub.on("GET", f"/api/v1/orgs/{ORG}", answer(200, {"primary_domain": ORG, "eid": 7}))
    assert proofpoint.create_org("msp.example", {"primary_domain": ORG})["eid"] == 7


def test_get_org_404_is_none(stub, proofpoint):
    stub.on("GET", f"/api/v1/orgs/{ORG}", answer(404, {"message": "not found"}))
    assert proofpoint.get_org(ORG) is None


def test_lists_unwrap_their_envelopes(stub, proofpoint):
    stub.on(
        "GET", "/api/v1/orgs/msp.example/orgs", answer(200, {"orgs": [{"primary_domain": ORG}]})
    )
    stub.on("GET", f"/api/v1/orgs/{ORG}/domains", answer(200, {"domains": [{"name": ORG}]}))
    stub.on("GET", USERS, answer(200, {"users": [{"primary_email": "a@contoso.com"}]}))
    assert proofpoint.list_child_orgs("msp.example") == [{"primary_domain": ORG}]
    assert proofpoint.list_domains(ORG) == [{"name": ORG}]
    assert proofpoint.list_users(ORG) == [{"primary_email": "a@contoso.com"}]


def test_add_domain_409_is_false(stub, proofpoint):
    path = f"/api/v1/orgs/{ORG}/domains"
    stub.on("POST", path, answer(201, {"name": "b.com"}), answer(409, {"message": "exists"}))
    assert proofpoint.add_domain(ORG, "b.com", "contoso.mail.protection.outlook.com") is True
    assert proofpoint.add_domain(ORG, "b.com", "contoso.mail.protection.outlook.com") is False
    assert stub.requests_to(path)[0].json()["destination"] == "contoso.mail.protection.outlook.com"


NEW_USERS = [
    {"primary_email": f"{n}@contoso.com", "type": "end_user"} for n in ("ann", "bob", "cat")
]


def test_201_batch_creates_everyone(stub, proofpoint):
    stub.on("POST", USERS, answer(201, NEW_USERS))
    result = proofpoint.create_users(ORG, NEW_USERS)
    assert [u["primary_email"] for u in result.created] == [u["primary_email"] for u in NEW_USERS]
    assert result.ok and stub.requests_to(USERS)[0].json() == NEW_USERS


def test_207_batch_is_parsed_per_item(stub, proofpoint):
    stub.on(
        "POST",
        USERS,
        answer(
            207,
            {
                "users": [NEW_USERS[0]],
                "errors": [
                    {
                        "status": 409,
                        "error_message": "User exists",
                        "identifier": "bob@contoso.com",
                    },
                    {"status": 422, "error_message": "Bad type", "identifier": "cat@contoso.com"},
                ],
            },
        ),
    )
    result = proofpoint.create_users(ORG, NEW_USERS)
    assert [u["primary_email"] for u in result.created] == ["ann@contoso.com"]
    assert result.existing == ["bob@contoso.com"]
    assert result.failed == [("cat@contoso.com", 422, "Bad type")]


def test_207_as_a_top_level_list_of_results(stub, proofpoint):
    stub.on(
        "POST",
        USERS,
        answer(
            207,
            [
                {"primary_email": "ann@contoso.com", "status": 201},
                {"primary_email": "bob@contoso.com", "status": "409", "message": "exists"},
            ],
        ),
    )
    result = proofpoint.create_users(ORG, NEW_USERS)
    assert [u["primary_email"] for u in result.created] == ["ann@contoso.com"]
    assert result.existing == ["bob@contoso.com"]
    assert [f[0] for f in result.failed] == ["cat@contoso.com"]  # never mentioned: not assumed done


def test_a_whole_batch_409_falls_back_to_one_by_one(stub, proofpoint):
    stub.on(
        "POST",
        USERS,
        answer(409, {"message": "exists"}),
        answer(201, NEW_USERS[0]),
        answer(409, {"message": "exists"}),
        answer(201, NEW_USERS[2]),
    )
    result = proofpoint.create_users(ORG, NEW_USERS)
    assert result.existing == ["bob@contoso.com"] and len(result.created) == 2


def test_update_and_delete_user(stub, proofpoint):
    path = f"{USERS}/ann@contoso.com"
    stub.on("PUT", path, answer(204))
    stub.on("DELETE", path, answer(204), answer(404, {"message": "no such user"}))
    proofpoint.update_user(ORG, "ann@contoso.com", {"type": "functional_account"})
    assert proofpoint.delete_user(ORG, "ann@contoso.com") is True
    assert proofpoint.delete_user(ORG, "ann@contoso.com") is False  # idempotent


def test_an_address_cannot_escape_its_path_segment(stub, proofpoint):
    stub.on("DELETE", f"{USERS}/a/../../x@contoso.com", answer(204))
    proofpoint.delete_user(ORG, "a/../../x@contoso.com")
    assert stub.seen[-1].raw_uri == f"{USERS}/a%2F..%2F..%2Fx@contoso.com"


AZURE_SETTINGS = {
    "primary_domain": ORG,
    "application_id": "app1",
    "ad_key": "the-secret",
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


def test_azure_settings_round_trip(stub, proofpoint):
    stub.on(
        "GET",
        AZURE,
        answer(404, {"message": "not set"}),
        answer(200, {**AZURE_SETTINGS, "ad_key": "****"}),
    )
    stub.on("PUT", AZURE, answer(204))
    stub.on("DELETE", AZURE, answer(204))
    assert proofpoint.get_azure_settings(ORG) is None
    proofpoint.put_azure_settings(ORG, {**AZURE_SETTINGS, "extra": "dropped"})
    assert stub.requests_to(AZURE)[-1].json() == AZURE_SETTINGS
    assert proofpoint.get_azure_settings(ORG)["ad_key"] == "****"
    assert proofpoint.delete_azure_settings(ORG) is True


@pytest.mark.parametrize(
    "change",
    [{"ad_key": "****"}, {"sync_frequency": 2}, {"default_user_role_name": "organization_admin"}],
)
def test_put_azure_settings_refuses_bad_values_before_sending(stub, proofpoint, change):
    with pytest.raises(ValueError):
        proofpoint.put_azure_settings(ORG, {**AZURE_SETTINGS, **change})
    assert not stub.seen


def test_put_azure_settings_needs_all_15_fields(proofpoint):
    with pytest.raises(ValueError, match="disable_login"):
        proofpoint.put_azure_settings(
            ORG, {k: v for k, v in AZURE_SETTINGS.items() if k != "disable_login"}
        )


def test_exemptions(stub, proofpoint):
    path = f"{AZURE}/exemptions"
    stub.on("GET", path, answer(200, [{"email": "svc@contoso.com"}]))
    stub.on("PUT", path, answer(204))
    stub.on("DELETE", f"{path}/svc@contoso.com", answer(404, {"message": "not exempt"}))
    assert proofpoint.list_exemptions(ORG) == ["svc@contoso.com"]
    proofpoint.add_exemptions(ORG, ["svc@contoso.com", "scan@contoso.com"])
    assert stub.requests_to(path)[-1].json() == ["svc@contoso.com", "scan@contoso.com"]
    assert proofpoint.remove_exemption(ORG, "svc@contoso.com") is False


def test_5xx_after_retries_is_transient(stub, proofpoint, fake_time):
    stub.on("GET", USERS, answer(503, {"message": "maintenance"}))
    with pytest.raises(TransientError) as caught:
        proofpoint.list_users(ORG)
    assert "maintenance" in caught.value.message and len(fake_time.sleeps) == 4


def test_404_and_409_types(stub, proofpoint):
    stub.on("PUT", f"{USERS}/x@contoso.com", answer(404, {"message": "no"}))
    with pytest.raises(NotFound):
        proofpoint.update_user(ORG, "x@contoso.com", {})
    stub.on(
        "POST", USERS, answer(409, {"errors": [{"status": 409, "identifier": "x@contoso.com"}]})
    )
    assert proofpoint.create_users(ORG, [{"primary_email": "x@contoso.com"}]).existing == [
        "x@contoso.com"
    ]
    assert issubclass(AlreadyExists, Exception)


def test_calls_for_one_org_are_serialized(stub, proofpoint):
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow(seen):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return answer(200, {"users": []})

    stub.on("GET", USERS, slow)
    threads = [threading.Thread(target=proofpoint.list_users, args=(ORG,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 1 and len(stub.requests_to(USERS)) == 3
