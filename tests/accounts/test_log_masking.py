"""The sign-in callback's code, state, id_token and session_state never reach an access log line
(the one masking function, portal/logging.py; tests/security/hardening/test_log_masking.py reads the
real gunicorn and runserver logs)."""

from portal.logging import mask_secrets_in_path as mask_signin_query

LINE = (
    '127.0.0.1 - - [01/Dec/2026:22:00:00 +0000] "GET /login/microsoft/callback/?code=1.AbSECRET'
    '&state=STATESECRET&session_state=SESSIONSECRET HTTP/1.1" 302 0 '
    '"http://127.0.0.1:8443/t/oauth2/'
    'v2.0/authorize?client_id=c&state=STATESECRET&id_token=TOKENSECRET" "Mozilla/5.0"'
)


def test_the_mask_blanks_exactly_the_sign_in_parameters():
    masked = mask_signin_query(LINE)
    for secret in ("1.AbSECRET", "STATESECRET", "SESSIONSECRET", "TOKENSECRET"):
        assert secret not in masked
    assert "?code=[masked]&state=[masked]&session_state=[masked]" in masked
    assert "client_id=c&" in masked and '" 302 0 "' in masked
    assert mask_signin_query("/tenants/?q=code") == "/tenants/?q=code"
