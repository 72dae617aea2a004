"""Record who did what: one call for people (pages and API) and for the system's external
changes."""

from onboarding.models import AuditEvent


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") or None if request else None


def record(
    action: str, description: str, *, request=None, user=None, tenant=None, job=None
) -> AuditEvent:
    actor = user or (
        request.user if request is not None and request.user.is_authenticated else None
    )
    via_api = bool(request is not None and request.path.startswith("/api/"))
    label = actor.get_username() if actor else ("customer" if request is not None else "system")
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=label,
        action=action,
        description=description,
        tenant=tenant or (job.tenant if job else None),
        job=job,
        ip_address=client_ip(request),
        via_api=via_api,
    )
