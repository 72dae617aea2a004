from onboarding.models.audit import AuditEvent, OutboxMessage
from onboarding.models.consent import ConsentLink, ConsentPurpose, ConsentState, hash_token
from onboarding.models.health import HealthCheck, Severity, TenantFinding
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
    "HealthCheck",
    "AccountKind",
    "AuditEvent",
    "ConsentLink",
    "ConsentPurpose",
    "ConsentState",
    "ImportState",
    "JobKind",
    "JobState",
    "OnboardingJob",
    "OutboxMessage",
    "Section",
    "Severity",
    "Step",
    "StepState",
    "SyncReportRow",
    "TenantFinding",
    "hash_token",
]
