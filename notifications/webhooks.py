"""Signed JSON POSTs of job events to the URLs managers registered.

The receiver signs `f"{timestamp}.{body}"` with HMAC-SHA256 and the webhook's secret, so a receiver
can
check both who sent it and that it is fresh (the Stripe / GitHub scheme):

    X-Portal-Timestamp: 1718000000
    X-Portal-Signature: sha256=<hex>
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.http import OutboundConfig, make_session
from notifications import targets
from notifications.models import DeliveryState, Webhook, WebhookDelivery

SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
DELIVERY_TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the task retries with backoff and jitter."""


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def allow_private_targets() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def validate_webhook_url(url: str) -> None:
    """https only (http only for loopback), no user:password, and, unless the operator allows
    private targets, no host that is or resolves to a private address. Delivery checks again, and
    that is the check that counts."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # e.g. "https://[" : an unbalanced IPv6 bracket
        raise ValidationError("This is not a valid web address.", code="invalid") from None
    if targets.has_credentials(url):
        raise ValidationError(
            "Do not put a user name or password in the URL: deliveries are signed with the "
            "webhook's secret instead.",
            code="credentials",
        )
    secure = parts.scheme == "https" and host
    if not secure and not (parts.scheme == "http" and _is_loopback(host)):
        raise ValidationError(
            "Use an https:// address (plain http is only allowed for localhost).", code="insecure"
        )
    if allow_private_targets():
        return
    try:
        addresses = targets.resolve(targets.ascii_host(host), parts.port or 443)
    except targets.RefusedTarget:
        return  # not resolvable from here (yet): the delivery decides
    except ValueError:
        raise ValidationError("This is not a valid web address.", code="invalid") from None
    try:
        targets.check_addresses(addresses, allow_private=False)
    except targets.RefusedTarget as refused:
        what = str(refused).split("(", 1)[-1].rstrip(")")  # "10.0.0.5 is a private network address"
        raise ValidationError(
            f"This address is on a private or internal network ({what}): webhooks only go to "
            "public addresses. An operator can allow private targets with "
            "WEBHOOK_ALLOW_PRIVATE_TARGETS.",
            code="private",
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def job_payload(job, event: str, step=None, titles: dict | None = None) -> dict:
    titles = titles or {}
    return {
        "event": event,
        "sent_at": timezone.now().isoformat(),
        "job": {
            "id": job.pk,
            "tenant": {
                "id": job.tenant_id,
                "name": job.tenant.name,
                "primary_domain": job.tenant.primary_domain,
            },
            "state": job.state,
            "current_step": job.current_step,
            "created_at": job.created_at.isoformat() if job.created_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "routing_ready_at": job.routing_ready_at.isoformat() if job.routing_ready_at else None,
            "url": f"{settings.PORTAL_BASE_URL}{job.get_absolute_url()}",
        },
        "step": None
        if step is None
        else {
            "key": step.key,
            "title": titles.get(step.key, step.key),
            "state": step.state,
            "message": step.message,
        },
    }


def health_payload(tenant, previous: str, state: str, findings) -> dict:
    """`tenant.health_changed`: the tenant, its state before and now, and its open findings."""
    checked = tenant.health_checked_at
    return {
        "event": "tenant.health_changed",
        "sent_at": timezone.now().isoformat(),
        "tenant": {
            "id": tenant.pk,
            "name": tenant.name,
            "primary_domain": tenant.primary_domain,
            "url": f"{settings.PORTAL_BASE_URL}{tenant.get_absolute_url()}",
        },
        "health": {
            "previous": previous,
            "state": state,
            "checked_at": checked.isoformat() if checked else None,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity,
                    "message": f.message,
                    "first_seen_at": f.first_seen_at.isoformat(),
                    "fixable": f.fixable,
                }
                for f in findings
            ],
        },
    }


def queue_deliveries(event: str, payload: dict) -> list[int]:
    webhooks = Webhook.objects.filter(active=True)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=webhook, event=event, payload=payload) for webhook in webhooks
    )
    return [delivery.pk for delivery in deliveries]


def _session(target: targets.Target):
    config = OutboundConfig(
        ca_bundle=settings.OUTBOUND_CA_BUNDLE or None, timeout=DELIVERY_TIMEOUT_SECONDS
    )
    session = make_session(config)
    targets.pin(session, target)  # connect to the address just checked, never to a fresh DNS answer
    return session


def deliver(delivery: WebhookDelivery, *, final: bool = False) -> bool:
    """POST one delivery and record the answer. True when the receiver answered 2xx."""
    body = json.dumps(
        {"delivery": delivery.pk, **delivery.payload}, separators=(",", ":"), sort_keys=True
    )
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(delivery.webhook.secret, timestamp, body),
        "X-Portal-Event": delivery.event,
        "X-Portal-Delivery": str(delivery.pk),
    }
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    try:
        target = targets.check_target(delivery.webhook.url, allow_private=allow_private_targets())
    except targets.RefusedTarget as refused:
        # Nothing was sent. The words say why, never what an internal service would have answered.
        delivery.status_code, delivery.error = None, str(refused)[:500]
        delivery.state = DeliveryState.FAILED
        delivery.save()
        return False
    try:
        response = _session(target).post(
            target.url, data=body.encode(), headers=headers, allow_redirects=False
        )
    except Exception as error:  # noqa: BLE001  any network failure is one failed attempt
        delivery.status_code, delivery.error = (
            None,
            f"{type(error).__name__}: could not reach the URL"[:500],
        )
    else:
        delivery.status_code, delivery.error = response.status_code, ""
        if 200 <= response.status_code < 300:
            delivery.state = DeliveryState.DELIVERED
            delivery.save()
            return True
        delivery.error = f"HTTP {response.status_code}"
    delivery.state = DeliveryState.FAILED if final else DeliveryState.RETRYING
    delivery.save()
    return False
