"""A Content-Security-Policy without unsafe-inline: every script and style is a static file."""

import re

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self' {consent}; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # The consent page forwards the customer to Microsoft's sign-in, so that origin may be a
        # form target.
        consent = getattr(settings, "MICROSOFT_LOGIN_BROWSER_URL", settings.MICROSOFT_LOGIN_URL)
        self.policy = POLICY.format(consent=consent)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/api/docs", "/admin/")):
            return response  # Swagger UI and the Django admin ship inline scripts of their own.
        response.setdefault("Content-Security-Policy", self.policy)
        return response


class ClientAddressMiddleware:
    """Behind the TLS proxy (BEHIND_TLS_PROXY), REMOTE_ADDR is the proxy for every visitor: the
    per-address
    rate limits on the public consent pages would then share one bucket, and the audit trail would
    record the proxy. Take the address our proxy appended to X-Forwarded-For instead: the rightmost
    entry, which a client cannot forge (anything a client sends itself stands further left)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.trust_forwarded = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None

    def __call__(self, request):
        if self.trust_forwarded:
            forwarded = [
                part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            ]
            if forwarded[-1]:
                request.META["REMOTE_ADDR"] = forwarded[-1]
        return self.get_response(request)


class RejectNulInQuery:
    """A NUL character in a query string is never a real search or filter, and PostgreSQL refuses it
    in
    text: answer 400 with a clear message here, once, instead of a 500 in whichever view reads it.
    Form fields need no help: Django's forms already reject NUL next to the field."""

    MESSAGE = "Search and filter text cannot contain NUL characters."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(
                request
            )  # the API names the offending parameter itself (api.md)
        if any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            return render(request, "400.html", {"message": self.MESSAGE}, status=400)
        return self.get_response(request)


class NoStoreForConsentLinks:
    """A page or API answer that carries a live consent link is never stored by a browser or proxy
    cache (Cache-Control: no-store): the job page and its htmx partials, the onboarding API, the
    outbox, and the customer's own consent pages, whose address is the token."""

    # A consent token in a link: /consent/<43 url-safe characters>/ (not /consent/callback/).
    LINK = re.compile(rb"/consent/(?!callback/)[A-Za-z0-9_-]{20,}/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self.carries_a_link(request, response):
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response

    def carries_a_link(self, request, response) -> bool:
        if request.path.startswith("/consent/"):
            return True
        if getattr(response, "streaming", False):
            return False
        return bool(self.LINK.search(response.content))
