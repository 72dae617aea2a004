"""The steps of each job kind in order. Each step is named by its StepKey (onboarding/models/job.py:
the one spelling of each key and title, kept beside the Step model so that every layer, the steps
included, can use it without importing this module).

The engine reads a job's steps from `pipeline(job.kind)`: STEPS for an onboarding
(`settings.ONBOARDING_PIPELINE` may name another list: tests use short pipelines), REPAIR_STEPS for
a
repair (api.md v1.1: fix every fixable finding, then check again). Step keys are unique across the
pipelines, so `spec_for(key)` needs no kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from onboarding.models import JobKind, StepKey
from onboarding.steps.base import Outcome, StepContext
from onboarding.steps.build_report import build_report
from onboarding.steps.configure_sync import configure_sync
from onboarding.steps.create_app import create_app
from onboarding.steps.create_secret import create_secret
from onboarding.steps.customer_consent import customer_consent
from onboarding.steps.grant_consent import grant_consent
from onboarding.steps.import_accounts import import_accounts
from onboarding.steps.prepare_org import prepare_org
from onboarding.steps.recheck import recheck
from onboarding.steps.repair_app import repair_app
from onboarding.steps.repair_domains import repair_domains
from onboarding.steps.repair_permissions import repair_permissions
from onboarding.steps.repair_secret import repair_secret
from onboarding.steps.repair_sync import repair_sync
from onboarding.steps.resolve_tenant import resolve_tenant
from onboarding.steps.review import review
from onboarding.steps.routing_countdown import routing_countdown
from onboarding.steps.verify_credentials import verify_credentials

DEFAULT_PIPELINE = "onboarding.pipeline.STEPS"


@dataclass(frozen=True)
class StepSpec:
    key: str
    title: str
    run: Callable[[StepContext], Outcome]
    lease_seconds: int | None = None
    timeout_message: str = "This step waited too long and timed out."
    # The external services the step calls (engine/throttle.py bounds jobs in flight per service).
    services: tuple[str, ...] = ()


def step(key: StepKey, run: Callable[[StepContext], Outcome], **options) -> StepSpec:
    return StepSpec(key.value, key.label, run, **options)


GRAPH, PROOFPOINT = ("graph",), ("proofpoint",)
BOTH = GRAPH + PROOFPOINT
STEPS = [
    step(StepKey.RESOLVE_TENANT, resolve_tenant),
    step(
        StepKey.CUSTOMER_CONSENT,
        customer_consent,
        timeout_message="The customer did not answer the consent email in time. Resend the link.",
    ),
    step(StepKey.CREATE_APP, create_app, services=GRAPH),
    step(
        StepKey.GRANT_CONSENT,
        grant_consent,
        timeout_message="The customer did not approve the sync app's permissions in time. "
        "Resend the link.",
        services=GRAPH,
    ),
    step(StepKey.CREATE_SECRET, create_secret, services=GRAPH),
    step(StepKey.VERIFY_CREDENTIALS, verify_credentials, services=GRAPH),
    step(StepKey.PREPARE_ORG, prepare_org, services=PROOFPOINT),
    step(StepKey.CONFIGURE_SYNC, configure_sync, services=BOTH),
    step(StepKey.BUILD_REPORT, build_report, services=BOTH),
    step(
        StepKey.REVIEW,
        review,
        timeout_message="Nobody approved the sync report in time. Rebuild it and review again.",
    ),
    step(StepKey.IMPORT_ACCOUNTS, import_accounts, services=PROOFPOINT),
    step(StepKey.ROUTING_COUNTDOWN, routing_countdown),
]


# Each step reads what is there and changes only what is wrong (Skipped otherwise), so a repair of a
# healthy part writes nothing. Consent comes first: without the MSP app nothing else can be read.
REPAIR_STEPS = [
    step(
        StepKey.CUSTOMER_CONSENT,
        customer_consent,
        timeout_message="The customer did not answer the consent email in time. Resend the link.",
    ),
    step(StepKey.REPAIR_APP, repair_app, services=GRAPH),
    step(StepKey.REPAIR_PERMISSIONS, repair_permissions, services=GRAPH),
    step(StepKey.REPAIR_DOMAINS, repair_domains, services=BOTH),
    step(StepKey.REPAIR_SECRET, repair_secret, services=BOTH),
    step(StepKey.REPAIR_SYNC, repair_sync, services=BOTH),
    step(StepKey.RECHECK, recheck, services=BOTH),
]


def pipeline(kind: str = JobKind.ONBOARDING) -> list[StepSpec]:
    if kind == JobKind.REPAIR:
        return REPAIR_STEPS
    name = getattr(settings, "ONBOARDING_PIPELINE", DEFAULT_PIPELINE)
    return STEPS if name == DEFAULT_PIPELINE else import_string(name)


def all_specs() -> list[StepSpec]:
    return [*pipeline(JobKind.ONBOARDING), *pipeline(JobKind.REPAIR)]


def spec_for(key: str) -> StepSpec | None:
    return next((spec for spec in all_specs() if spec.key == key), None)


def step_titles() -> dict[str, str]:
    return {spec.key: spec.title for spec in reversed(all_specs())}


__all__ = [
    "REPAIR_STEPS",
    "STEPS",
    "StepKey",
    "StepSpec",
    "all_specs",
    "pipeline",
    "spec_for",
    "step_titles",
]
