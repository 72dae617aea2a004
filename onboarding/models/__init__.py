from onboarding.models.audit import AuditEvent, OutboxMessage
from onboarding.models.checklist import NextStepTick
from onboarding.models.consent import ConsentLink, ConsentPurpose, ConsentState, hash_token
from onboarding.models.fleet import (
    BatchItem,
    OnboardingBatch,
    ProofpointSnapshot,
    TenantImport,
    brought_in_without_app,
)
from onboarding.models.health import HealthCheck, Severity, TenantFinding
from onboarding.models.job import (
    ACTIVE_JOB_STATES,
    FINISHED_JOB_STATES,
    HALTED_JOB_STATES,
    JobKind,
    JobState,
    OnboardingJob,
    Step,
    StepKey,
    StepState,
)
from onboarding.models.report import AccountKind, ImportState, Section, SyncReportRow
from onboarding.models.snapshot import RestoreState, SettingsSnapshot

__all__ = [
    "ACTIVE_JOB_STATES",
    "FINISHED_JOB_STATES",
    "HALTED_JOB_STATES",
    "HealthCheck",
    "AccountKind",
    "AuditEvent",
    "BatchItem",
    "ConsentLink",
    "ConsentPurpose",
    "ConsentState",
    "ImportState",
    "JobKind",
    "JobState",
    "NextStepTick",
    "OnboardingBatch",
    "OnboardingJob",
    "OutboxMessage",
    "RestoreState",
    "ProofpointSnapshot",
    "Section",
    "SettingsSnapshot",
    "Severity",
    "Step",
    "StepKey",
    "StepState",
    "SyncReportRow",
    "TenantImport",
    "TenantFinding",
    "brought_in_without_app",
    "hash_token",
]
