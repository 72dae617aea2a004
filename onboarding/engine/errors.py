"""Why the engine refuses an action a person or a script asked for."""


class JobAlreadyActive(Exception):
    """The tenant already has an onboarding that is not completed or cancelled."""


class NotAllowedNow(Exception):
    """The action does not fit the job's current state; the message says why."""
