"""Short pipelines for the bulk tests: steps that name a service (so the in-flight bound and
"has it called anything outside" apply) without calling one."""

from onboarding.pipeline import StepSpec
from onboarding.steps.base import Done


def no_calls(ctx):
    return Done("Nothing outside.")


BOUNDED = [
    StepSpec("local", "Local work", no_calls),
    StepSpec("proofpoint_calls", "Proofpoint calls", no_calls, services=("proofpoint",)),
]

GRAPH = [StepSpec("graph_calls", "Graph calls", no_calls, services=("graph",))]
