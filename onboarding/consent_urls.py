"""Consent routes: the customer's public pages and the staff actions (onboarding/views/consent.py)."""

from django.urls import path

from onboarding.views import consent

urlpatterns = [
    # The callback first: "callback" must never be taken for a token.
    path("consent/callback/", consent.consent_callback, name="consent-callback"),
    path("consent/<str:token>/", consent.consent_landing, name="consent-landing"),
    path("consent/<str:token>/go/", consent.consent_go, name="consent-go"),
    path("jobs/<int:pk>/consent/resend/", consent.consent_resend, name="consent-resend"),
    path("jobs/<int:pk>/consent/revoke/", consent.consent_revoke, name="consent-revoke"),
]
