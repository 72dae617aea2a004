"""A short pipeline whose step calls the sandbox's Proofpoint (for the in-flight bound test)."""

from onboarding.fleet.discovery import partner_client
from onboarding.pipeline import StepSpec
from onboarding.steps.base import Done


def call_proofpoint(ctx):
    client = partner_client()
    for _ in range(3):
        client.me()
    return Done("Called Proofpoint.")


def no_calls(ctx):
    return Done("Nothing outside.")


BOUNDED = [
    StepSpec("local", "Local work", no_calls),
    StepSpec("proofpoint_calls", "Proofpoint calls", call_proofpoint, services=("proofpoint",)),
]

GRAPH = [StepSpec("graph_calls", "Graph calls", no_calls, services=("graph",))]
