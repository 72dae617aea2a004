"""Typed errors for every outbound call.

The workflow decides whether to retry from the error's type alone (style.md, "Outbound HTTP"):
TransientError is worth another attempt later; PermanentError needs a person.
"""

from dataclasses import dataclass, field


@dataclass
class IntegrationError(Exception):
    """A call to an external service failed; `message` is written for a technician."""

    message: str
    status: int | None = None
    code: str = ""
    service: str = ""
    request_id: str = ""
    retry_after: float | None = None
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"[{self.code}]")
        if self.request_id:
            parts.append(f"(request-id {self.request_id})")
        return " ".join(parts)


class TransientError(IntegrationError):
    """Throttling, a 5xx, a timeout or a replication delay: the same call may succeed later."""


class PermanentError(IntegrationError):
    """Bad credentials, a refused permission, invalid input: retrying will not help."""


class NotFound(PermanentError):
    """The object does not exist (or is not visible to these credentials)."""


class AlreadyExists(PermanentError):
    """The object exists already; callers that want idempotency usually treat this as done."""


class ReplicationPending(TransientError):
    """A write has not reached every replica yet and a bounded wait ran out; try the step again
    later."""


# --- Microsoft identity platform / Graph ---------------------------------------------------------


class TenantNotFound(PermanentError):
    """No Microsoft Entra tenant answers for this domain or tenant id (AADSTS90002)."""


class InvalidClientCredentials(PermanentError):
    """The token endpoint refused the client id or secret (AADSTS7000215, 700016, 7000222).

    A brand-new secret or app can be refused for a few seconds while it replicates, so a caller may
    retry these for a bounded time; `aadsts` tells which case it is.
    """

    @property
    def aadsts(self) -> str:
        return self.code


class ConsentMissing(PermanentError):
    """The customer's administrator has not granted (or has declined) consent to the app."""


class InsufficientPrivileges(PermanentError):
    """Graph answered 403 (Authorization_RequestDenied): the app lacks a permission or its
    consent."""


class SecretLifetimeRefused(PermanentError):
    """A tenant app-management policy refuses a secret this long
    (CredentialInvalidLifetimeAsPerAppPolicy)."""


class SecretsNotAllowed(PermanentError):
    """A tenant app-management policy refuses client secrets
    (CredentialTypeNotAllowedAsPerAppPolicy)."""


# --- Proofpoint Essentials
# -------------------------------------------------------------------------


class ProofpointAuthFailed(PermanentError):
    """Proofpoint answered 401: the API user's X-User / X-Password were refused."""


class ProofpointRejected(PermanentError):
    """Proofpoint refused the request as invalid (400 or 422)."""
