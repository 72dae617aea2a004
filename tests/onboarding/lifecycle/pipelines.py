"""Pipelines for the lifecycle tests (ONBOARDING_PIPELINE), and one whose worker dies right after it
changed Proofpoint's settings, before the step's outcome is recorded."""

import os
import signal
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from integrations.errors import PermanentError
from onboarding.pipeline import STEPS, StepKey, StepSpec
from onboarding.steps import configure_sync as configure_sync_step
from onboarding.steps.base import Done, Wait
from onboarding.steps.configure_sync import configure_sync


def done(ctx):
    return Done("Done.")


def broken(ctx):
    raise PermanentError("The customer's tenant refused: Authorization_RequestDenied.")


def waits(ctx):
    return Wait(
        "Waiting for review.",
        job_state="waiting_review",
        deadline_at=timezone.now() + timedelta(hours=1),
    )


ONE = [StepSpec("only", "Only", done)]
FAILS = [StepSpec("broken", "Broken", broken)]
WAITS = [StepSpec("waits", "Waits", waits)]


def configure_sync_then_die(ctx):
    """The first time (no marker file yet), the worker is SIGKILLed right after Proofpoint accepted
    the
    PUT of settings/azure, before the step's outcome is recorded."""
    marker = Path(os.environ["LIFECYCLE_CRASH_MARKER"])
    if not marker.exists():
        marker.write_text("killed after the PUT of settings/azure")
        real = configure_sync_step.save_azure_settings

        def save_then_die(*args, **kwargs):
            real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)

        configure_sync_step.save_azure_settings = save_then_die  # this process is about to die
    return configure_sync(ctx)


# The Proofpoint half from configure_sync on, with the crash in configure_sync, then a wait.
CRASH_AFTER_SETTINGS_PUT = [
    StepSpec(StepKey.CONFIGURE_SYNC.value, StepKey.CONFIGURE_SYNC.label, configure_sync_then_die),
    StepSpec("waits", "Waits", waits),
]
assert any(spec.key == StepKey.CONFIGURE_SYNC for spec in STEPS)
