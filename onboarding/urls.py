"""Page routes of the onboarding app: tenants and jobs, consent, the sync report, managers'
pages."""

from django.urls import path

from onboarding.views import (
    audit,
    consent,
    dashboard,
    fleet,
    health,
    jobs,
    my_jobs,
    next_steps,
    outbox,
    report,
    rotation,
    tenants,
)

urlpatterns = [
    # Tenants and their jobs
    path("tenants/", tenants.tenant_list, name="tenant-list"),
    path("tenants/<int:pk>/", tenants.tenant_detail, name="tenant-detail"),
    path("tenants/<int:pk>/onboard/", jobs.start_onboarding, name="tenant-onboard"),
    path("tenants/new/start/", jobs.tenant_create_and_start, name="tenant-create-start"),
    path(
        "tenants/<int:pk>/rotate-secret/", rotation.rotate_secret_now, name="tenant-rotate-secret"
    ),
    path("tenants/<int:pk>/health/check/", health.check_now, name="tenant-health-check"),
    path("tenants/<int:pk>/repair/", health.repair, name="tenant-repair"),
    path("tenants/<int:pk>/next-steps/", next_steps.next_steps, name="tenant-next-steps"),
    path(
        "tenants/<int:pk>/next-steps/tick/",
        next_steps.next_steps_tick,
        name="tenant-next-steps-tick",
    ),
    path(
        "tenants/<int:pk>/next-steps/handout/",
        next_steps.next_steps_handout,
        name="tenant-next-steps-handout",
    ),
    path(
        "tenants/<int:pk>/next-steps/send/",
        next_steps.next_steps_send,
        name="tenant-next-steps-send",
    ),
    path("jobs/mine/", my_jobs.my_jobs, name="my-jobs"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job-detail"),
    path("jobs/<int:pk>/progress/", jobs.job_progress, name="job-progress"),
    path("jobs/<int:pk>/retry/", jobs.job_retry, name="job-retry"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job-cancel"),
    # Consent: the customer's public pages (the callback first: "callback" is never a token) and
    # staff actions
    path("consent/callback/", consent.consent_callback, name="consent-callback"),
    path("consent/<str:token>/", consent.consent_landing, name="consent-landing"),
    path("consent/<str:token>/go/", consent.consent_go, name="consent-go"),
    path("jobs/<int:pk>/consent/resend/", consent.consent_resend, name="consent-resend"),
    path("jobs/<int:pk>/consent/revoke/", consent.consent_revoke, name="consent-revoke"),
    # The sync report review
    path("jobs/<int:pk>/report/", report.report, name="job-report"),
    path("jobs/<int:pk>/report.csv", report.report_csv, name="job-report-csv"),
    path("jobs/<int:pk>/report/exclude/", report.report_exclude, name="job-report-exclude"),
    path("jobs/<int:pk>/report/include/", report.report_include, name="job-report-include"),
    path("jobs/<int:pk>/report/approve/", report.report_approve, name="job-report-approve"),
    path("jobs/<int:pk>/report/rebuild/", report.report_rebuild, name="job-report-rebuild"),
    # Managers
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("audit/", audit.audit_list, name="audit-list"),
    path("tenants/<int:pk>/audit/", audit.tenant_audit, name="tenant-audit"),
    # The whole fleet: import from Proofpoint or a CSV, bulk onboarding, the fleet view
    path("fleet/", fleet.fleet, name="fleet"),
    path("fleet/discover/", fleet.discover, name="fleet-discover"),
    path("fleet/import/", fleet.csv_upload, name="fleet-csv-upload"),
    path("fleet/import/<int:pk>/", fleet.csv_check, name="fleet-csv-check"),
    path("fleet/bulk-start/", fleet.bulk_start, name="fleet-bulk-start"),
    path("fleet/batches/<int:pk>/", fleet.batch_detail, name="fleet-batch"),
    # The demo's outbox
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<int:pk>/", outbox.outbox_message, name="outbox-message"),
]
