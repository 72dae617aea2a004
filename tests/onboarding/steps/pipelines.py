"""Pipelines for the Entra tests: the Entra half alone, and one whose worker dies right after
addPassword."""

import os
import signal
from pathlib import Path

from onboarding.pipeline import STEPS, StepSpec
from onboarding.secrets import credentials
from onboarding.steps.create_secret import create_secret

ENTRA = STEPS[:6]


def create_secret_then_die(ctx):
    """The first time (no marker file yet), the worker process is SIGKILLed right after addPassword
    answers."""
    marker = Path(os.environ["ENTRA_CRASH_MARKER"])
    if not marker.exists():
        marker.write_text("killed after addPassword")

        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        # This process is about to die; the next worker imports a clean module.
        credentials.store_secret = die
    return create_secret(ctx)


CRASH_AFTER_ADD_PASSWORD = [
    *(spec for spec in ENTRA if spec.key != "create_secret"),
]
CRASH_AFTER_ADD_PASSWORD.insert(
    4, StepSpec("create_secret", "Create the client secret", create_secret_then_die)
)
