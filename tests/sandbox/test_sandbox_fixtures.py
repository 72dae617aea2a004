"""The shared sandbox fixtures work: settings point at the emulators and the world starts fresh."""

import pytest
from django.conf import settings

from integrations.http import OutboundConfig, make_session
from integrations.microsoft.discovery import resolve_tenant

pytestmark = pytest.mark.integration


def test_settings_point_at_a_fresh_sandbox(portal_sandbox):
    session = make_session(OutboundConfig(ca_bundle=settings.OUTBOUND_CA_BUNDLE))
    info = resolve_tenant(settings.MICROSOFT_LOGIN_URL, "fabrikam.example", session)
    assert info.tenant_id == portal_sandbox.tenant("fabrikam.example")["id"]
    assert portal_sandbox.tenant("fabrikam.example")["applications"] == []
    assert portal_sandbox.msp["app_id"] == settings.MSP_APP_CLIENT_ID
