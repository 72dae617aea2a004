"""The onboarding engine: runs a job's steps in order, claims each with a conditional UPDATE,
retries
transient errors, parks waiting steps, and recovers what dead workers and lost messages leave
behind.

Its public face, for pages, the API, tasks and services:
- jobs: start_job, retry, cancel, resume (they write the audit rows themselves);
- runner.run_job (a worker's task), sweeper.sweep (beat);
- errors: JobAlreadyActive, NotAllowedNow.
"""

from onboarding.engine.errors import JobAlreadyActive, NotAllowedNow
from onboarding.engine.jobs import cancel, resume, retry, start_job
from onboarding.engine.runner import run_job
from onboarding.engine.sweeper import sweep

__all__ = [
    "JobAlreadyActive",
    "NotAllowedNow",
    "cancel",
    "resume",
    "retry",
    "run_job",
    "start_job",
    "sweep",
]
