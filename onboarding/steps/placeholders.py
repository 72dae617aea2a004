"""Stand-ins for steps whose implementation has not landed. They fail loudly, never succeed silently."""

from integrations.errors import PermanentError
from onboarding.context import StepContext


def not_implemented(ctx: StepContext):
    raise PermanentError(f"The step {ctx.step.key!r} is not implemented yet in this portal version.")
