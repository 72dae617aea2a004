from onboarding.models.audit import AuditEvent, OutboxMessage
from onboarding.models.checklist import NextStepTick
from onboarding.models.consent import ConsentLink, ConsentPurpose, ConsentState, hash_token
from onboarding.models.job import (
    ACTIVE_JOB_STATES,
    FINISHED_JOB_STATES,
    HALTED_JOB_STATES,
    JobKind,
    JobState,
    OnboardingJob,
    Step,
    StepState,
)
from onboarding.models.report import AccountKind, ImportState, Section, SyncReportRow

__all__ = [
    "ACTIVE_JOB_STATES",
    "FINISHED_JOB_STATES",
    "HALTED_JOB_STATES",
    "AccountKind",
    "AuditEvent",
    "ConsentLink",
    "ConsentPurpose",
    "ConsentState",
    "ImportState",
    "JobKind",
    "JobState",
    "NextStepTick",
    "OnboardingJob",
    "OutboxMessage",
    "Section",
    "Step",
    "StepState",
    "SyncReportRow",
    "hash_token",
]
