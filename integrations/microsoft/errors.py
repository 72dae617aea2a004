"""Microsoft Graph error answers → typed errors with messages a technician can act on.

Graph errors are `{"error": {"code", "message", "innerError": {"request-id", ...}}}`
(https://learn.microsoft.com/en-us/graph/errors).
"""

from __future__ import annotations

import requests

from integrations.errors import (
    AlreadyExists,
    InsufficientPrivileges,
    IntegrationError,
    NotFound,
    PermanentError,
    SecretLifetimeRefused,
    SecretsNotAllowed,
    TransientError,
)
from integrations.http import request_id_of

SERVICE = "Microsoft Graph"
LIFETIME_POLICY = "CredentialInvalidLifetimeAsPerAppPolicy"
SECRETS_POLICY = "CredentialTypeNotAllowedAsPerAppPolicy"


def graph_error_parts(response: requests.Response) -> tuple[str, str, str]:
    """(code, message, request-id) from a Graph error answer, whatever its shape."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    inner = error.get("innerError") or error.get("innererror") or {}
    request_id = (inner.get("request-id") if isinstance(inner, dict) else "") or request_id_of(
        response
    )
    message = error.get("message") or f"HTTP {response.status_code} {response.reason or ''}".strip()
    return error.get("code", ""), message, request_id


def describe_graph_error(response: requests.Response) -> tuple[str, str, str]:
    """(code, message, request-id) for http.send's TransientError."""
    return graph_error_parts(response)


def graph_error(response: requests.Response, doing: str) -> IntegrationError:
    """The typed error for a failed Graph call; `doing` says what the portal was trying to do."""
    code, message, request_id = graph_error_parts(response)
    status = response.status_code
    error_class, advice = _classify(status, code, message)
    return error_class(
        message=f"{doing} failed: {advice} (Graph said: {message})",
        status=status,
        code=code,
        service=SERVICE,
        request_id=request_id,
    )


def _classify(status: int, code: str, message: str) -> tuple[type[IntegrationError], str]:
    if LIFETIME_POLICY in f"{code} {message}":
        return SecretLifetimeRefused, "the customer's app policy refuses a client secret this long."
    if SECRETS_POLICY in f"{code} {message}":
        return SecretsNotAllowed, (
            "the customer's app policy does not allow client secrets. Ask the customer's "
            "administrator "
            "to exempt this app from the policy; Proofpoint's Azure sync needs a secret."
        )
    if status == 403:
        return InsufficientPrivileges, (
            "the onboarding app is missing the permission to do this in the customer's tenant "
            f"({code}). "
            "Ask the customer's Global Administrator to approve consent again."
        )
    if status == 401:
        return PermanentError, "Microsoft Graph refused the portal's access token."
    if status == 404:
        return NotFound, "the object was not found in the customer's tenant."
    if status == 409:
        return AlreadyExists, "the object already exists."
    if status == 429 or status >= 500:
        return (
            TransientError,
            "Microsoft Graph is busy or unavailable; the step can be retried later.",
        )
    return PermanentError, "Microsoft Graph refused the request."


def is_replication_delay(error: IntegrationError) -> bool:
    """True for the answers Graph gives while a just-created object is still replicating."""
    if isinstance(error, NotFound):
        return True
    text = str(error.message)
    return error.status == 400 and (
        "does not reference a valid application object" in text
        or "Not a valid reference update" in text
    )
