"""The callback's code, state, id_token and session_state never reach an access log line."""

import logging

from accounts.log_masking import mask_signin_query

LINE = ('127.0.0.1 - - [01/Dec/2026:22:00:00 +0000] "GET /login/microsoft/callback/?code=1.AbSECRET'
        '&state=STATESECRET&session_state=SESSIONSECRET HTTP/1.1" 302 0 "http://127.0.0.1:8443/t/oauth2/'
        'v2.0/authorize?client_id=c&state=STATESECRET&id_token=TOKENSECRET" "Mozilla/5.0"')


def test_the_mask_blanks_exactly_the_sign_in_parameters():
    masked = mask_signin_query(LINE)
    for secret in ("1.AbSECRET", "STATESECRET", "SESSIONSECRET", "TOKENSECRET"):
        assert secret not in masked
    assert "?code=[masked]&state=[masked]&session_state=[masked]" in masked
    assert "client_id=c&" in masked and '" 302 0 "' in masked
    assert mask_signin_query("/tenants/?q=code") == "/tenants/?q=code"


def test_the_access_loggers_carry_the_filter(caplog):
    """gunicorn's access logger formats `%(r)s` etc. from a dict of atoms, as gunicorn does."""
    for name in ("gunicorn.access", "django.server"):
        logger = logging.getLogger(name)
        propagate, logger.propagate = logger.propagate, True  # so caplog (on the root) hears it
        try:
            with caplog.at_level(logging.INFO, logger=name):
                atoms = {"h": "127.0.0.1",
                         "r": "GET /login/microsoft/callback/?code=ABC&state=DEF HTTP/1.1"}
                logger.info('%(h)s "%(r)s"', atoms)
        finally:
            logger.propagate = propagate
        assert "ABC" not in caplog.text and "DEF" not in caplog.text
        assert "code=[masked]" in caplog.text
        caplog.clear()
