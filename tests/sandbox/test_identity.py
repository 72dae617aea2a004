"""The identity emulator: discovery, client-credentials tokens with the real msal, admin consent."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from sandbox.tokens import unverified_claims

from .conftest import CALLBACK, consent, msal_token


def test_openid_configuration_resolves_a_domain_to_the_tenant_guid(sb, http):
    tenant = sb.state.tenant("fabrikam.example")
    config = http.get(
        f"{sb.login_url}/fabrikam.example/v2.0/.well-known/openid-configuration"
    ).json()
    assert config["issuer"] == f"{sb.login_url}/{tenant.id}/v2.0"
    assert config["token_endpoint"] == f"{sb.login_url}/{tenant.id}/oauth2/v2.0/token"


def test_unknown_tenant_is_400_aadsts90002(sb, http):
    r = http.get(f"{sb.login_url}/nowhere.example/v2.0/.well-known/openid-configuration")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_tenant"
    assert r.json()["error_description"].startswith(
        "AADSTS90002: Tenant 'nowhere.example' not found."
    )


def test_gcc_high_tenant_says_so_in_its_openid_configuration(sb, http):
    config = http.get(
        f"{sb.login_url}/contoso-gov.example/v2.0/.well-known/openid-configuration"
    ).json()
    assert config["tenant_region_scope"] == "USGov"
    assert config["cloud_instance_name"] == "microsoftonline.us"


def test_msal_gets_no_token_before_consent(sb, http):
    result = msal_token(sb, http, "fabrikam.example", sb.msp["app_id"], sb.msp["secret"])
    assert result["error"] == "unauthorized_client"
    assert "AADSTS700016" in result["error_description"]


def test_msal_gets_a_token_carrying_tenant_app_and_roles_after_consent(sb, http):
    consent(sb, http, "fabrikam.example")
    result = msal_token(sb, http, "fabrikam.example", sb.msp["app_id"], sb.msp["secret"])
    claims = unverified_claims(result["access_token"])
    assert claims["tid"] == sb.state.tenant("fabrikam.example").id
    assert claims["appid"] == sb.msp["app_id"]
    assert set(claims["roles"]) == {
        "Application.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.Read.All",
    }


def test_bad_secret_is_invalid_client_7000215(sb, http):
    consent(sb, http, "fabrikam.example")
    result = msal_token(sb, http, "fabrikam.example", sb.msp["app_id"], "wrong")
    assert result["error"] == "invalid_client"
    assert "AADSTS7000215" in result["error_description"]


def test_scope_must_end_in_default(sb, http):
    tenant = sb.state.tenant("fabrikam.example").id
    r = http.post(
        f"{sb.login_url}/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sb.msp["app_id"],
            "client_secret": sb.msp["secret"],
            "scope": "https://graph.microsoft.com/User.Read.All",
        },
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def _consent_url(sb, tenant="fabrikam.example", version=1, redirect=CALLBACK, browser=True):
    base = sb.login_browser_url if browser else sb.login_url
    path = f"{tenant}/adminconsent" if version == 1 else f"{tenant}/v2.0/adminconsent"
    params = {"client_id": sb.msp["app_id"], "redirect_uri": redirect, "state": "s1"}
    if version == 2:
        params["scope"] = "https://graph.microsoft.com/.default"
    return f"{base}/{path}", params


def test_consent_page_shows_the_app_and_its_permissions_as_a_post_form(sb, http):
    url, params = _consent_url(sb)
    page = http.get(url, params=params)
    assert page.status_code == 200 and url.startswith("http://")
    assert "Contoso MSP Onboarding" in page.text and "Directory.Read.All" in page.text
    assert (
        "method='post'" in page.text
        and "value='approve'" in page.text
        and "value='decline'" in page.text
    )


def test_approving_v1_consent_redirects_with_tenant_and_state_and_grants_roles(sb, http):
    url, params = _consent_url(sb)
    r = http.post(url, params=params, data={"decision": "approve"}, allow_redirects=False)
    assert r.status_code == 302
    location = urlsplit(r.headers["Location"])
    assert r.headers["Location"].startswith(CALLBACK)
    query = parse_qs(location.query)
    assert query == {
        "admin_consent": ["True"],
        "tenant": [sb.state.tenant("fabrikam.example").id],
        "state": ["s1"],
    }
    assert msal_token(sb, http, "fabrikam.example", sb.msp["app_id"], sb.msp["secret"]).get(
        "access_token"
    )


def test_v2_approval_adds_scope(sb, http):
    url, params = _consent_url(sb, version=2)
    r = http.post(url, params=params, data={"decision": "approve"}, allow_redirects=False)
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["admin_consent"] == ["True"] and "scope" in query and query["state"] == ["s1"]


def test_declining_redirects_with_each_versions_error_shape(sb, http):
    url, params = _consent_url(sb, version=1)
    v1 = parse_qs(
        urlsplit(
            http.post(
                url, params=params, data={"decision": "decline"}, allow_redirects=False
            ).headers["Location"]
        ).query
    )
    assert v1["error"] == ["access_denied"] and v1["error_description"][0].startswith("AADSTS65004")
    url, params = _consent_url(sb, version=2)
    v2 = parse_qs(
        urlsplit(
            http.post(
                url, params=params, data={"decision": "decline"}, allow_redirects=False
            ).headers["Location"]
        ).query
    )
    assert v2["admin_consent"] == ["True"] and v2["error"] == ["consent_required"]


def test_unregistered_redirect_uri_shows_an_error_page_and_never_redirects(sb, http):
    url, params = _consent_url(sb, redirect="https://evil.example/cb")
    for response in (
        http.get(url, params=params, allow_redirects=False),
        http.post(url, params=params, data={"decision": "approve"}, allow_redirects=False),
    ):
        assert response.status_code == 400 and "Location" not in response.headers
        assert "AADSTS50011" in response.text


def test_organizations_consent_asks_for_the_domain(sb, http):
    url, params = _consent_url(sb, tenant="organizations")
    assert "tenant_domain" in http.get(url, params=params).text
    r = http.post(
        url,
        params=params,
        data={"decision": "approve", "tenant_domain": "northwind.example"},
        allow_redirects=False,
    )
    assert parse_qs(urlsplit(r.headers["Location"]).query)["tenant"] == [
        sb.state.tenant("northwind.example").id
    ]


def test_auto_consent_knob_redirects_at_once(sb, http):
    http.post(f"{sb.login_url}/_sandbox/knobs", json={"auto_consent": True})
    url, params = _consent_url(sb, browser=False)
    r = http.get(url, params=params, allow_redirects=False)
    assert r.status_code == 302 and "admin_consent=True" in r.headers["Location"]


def test_state_endpoint_never_shows_secret_values(sb, http):
    text = http.get(f"{sb.login_url}/_sandbox/state").text
    assert sb.msp["secret"] not in text
    assert json.loads(text)["tenants"][0]["applications"][0]["passwordCredentials"][0]["keyId"]


def test_an_injected_429_at_the_token_endpoint_is_oauth_shaped(sb, http):
    http.post(
        f"{sb.login_url}/_sandbox/knobs",
        json={
            "fail_next": [
                {
                    "service": "login",
                    "route": "POST /{tenant}/oauth2/v2.0/token",
                    "status": 429,
                    "retry_after": 1,
                }
            ]
        },
    )
    r = http.post(
        f"{sb.login_url}/fabrikam.example/oauth2/v2.0/token",
        data={"grant_type": "client_credentials"},
    )
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    body = r.json()
    assert body["error"] == "temporarily_unavailable" and body["error_description"].startswith(
        "AADSTS90033"
    )
