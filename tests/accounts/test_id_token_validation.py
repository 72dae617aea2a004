"""What msal leaves to us, checked with real tokens from the sandbox: the signature (RS256, key by
kid from jwks_uri), the audience, the tenant; and what msal itself checks: the nonce."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import jwt
import msal
import pytest
import requests
from django.test import Client

from integrations.errors import IntegrationError
from integrations.http import OutboundConfig, make_session
from integrations.microsoft.signin import (
    SignInRefused,
    StaffSignInConfig,
    WrongTenant,
    validate_id_token,
)
from sandbox.common import b64url, b64url_decode

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended"),
]


@pytest.fixture
def config(signin) -> StaffSignInConfig:
    sb = signin.admin.sb
    return StaffSignInConfig(
        sb.login_url,
        sb.login_browser_url,
        signin.app["tenant_id"],
        signin.app["client_id"],
        signin.app["secret"],
        signin.app["redirect_uris"][0],
    )


@pytest.fixture
def outbound(signin) -> tuple[requests.Session, OutboundConfig]:
    cfg = OutboundConfig(ca_bundle=str(signin.admin.sb.ca_path), timeout=10)
    return make_session(cfg), cfg


def real_id_token(signin, config, session, username="tess.tech") -> str:
    """A genuine id token, obtained the way the portal does (msal), without the portal's checks."""
    app = msal.ConfidentialClientApplication(
        config.client_id,
        client_credential=config.client_secret,
        authority=config.authority,
        http_client=session,
        instance_discovery=False,
    )
    flow = app.initiate_auth_code_flow(
        ["email"], redirect_uri=config.redirect_uri, response_mode="query"
    )
    url = flow["auth_uri"].replace(config.login_url, config.browser_login_url)
    answer = signin.browser.post(url, data={"login": username}, allow_redirects=False)
    query = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    return app.acquire_token_by_auth_code_flow(flow, query)["id_token"]


def with_claims(token: str, **changes) -> str:
    """The same header and signature over a changed payload: a forgery."""
    header, payload, signature = token.split(".")
    claims = {**json.loads(b64url_decode(payload)), **changes}
    return ".".join([header, b64url(json.dumps(claims).encode()), signature])


def test_a_genuine_token_validates(signin, config, outbound):
    session, cfg = outbound
    claims = validate_id_token(real_id_token(signin, config, session), config, session, cfg)
    assert claims["roles"] == ["Technician"] and claims["tid"] == config.tenant_id


def test_a_forged_payload_fails_the_signature_check(signin, config, outbound):
    session, cfg = outbound
    forged = with_claims(real_id_token(signin, config, session), roles=["Manager"])
    with pytest.raises(SignInRefused) as refused:
        validate_id_token(forged, config, session, cfg)
    assert refused.value.code == "invalid_id_token" and "signature" in refused.value.message


def test_an_unsigned_token_is_refused(signin, config, outbound):
    session, cfg = outbound
    claims = jwt.decode(real_id_token(signin, config, session), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(SignInRefused):
        validate_id_token(unsigned, config, session, cfg)


def test_a_token_for_another_app_is_refused(signin, config, outbound):
    session, cfg = outbound
    token = real_id_token(signin, config, session)
    other = StaffSignInConfig(
        config.login_url,
        config.browser_login_url,
        config.tenant_id,
        "00000000-0000-0000-0000-000000000001",
        "x",
        config.redirect_uri,
    )
    with pytest.raises(SignInRefused) as refused:
        validate_id_token(token, other, session, cfg)
    assert "another application" in refused.value.message


def test_another_tenant_is_wrong_tenant_even_when_everything_else_is_right(
    signin, portal_sandbox, config, outbound
):
    portal_sandbox.knobs(signin_foreign_tenant_tokens=True)
    session, cfg = outbound
    with pytest.raises(WrongTenant) as refused:
        validate_id_token(
            real_id_token(signin, config, session, "it-admin@fabrikam.example"),
            config,
            session,
            cfg,
        )
    assert refused.value.tenant_id == signin.person("it-admin")["tenant_id"]
    assert isinstance(refused.value, IntegrationError)


def test_msal_refuses_a_token_whose_nonce_is_not_the_flows(signin):
    """msal checks the nonce (we rely on it): change the nonce kept in the session, then finish."""
    client = Client()
    answer = signin.authorize("tess.tech", client)
    session = client.session
    session["staff_signin_flow"]["flow"]["nonce"] = "not-the-nonce-sent"
    session.save()
    response = answer.callback()
    assert response.status_code == 400 and "nonce mismatch" in response.content.decode()
    assert not client.session.get("_auth_user_id")
