"""Page routes of the onboarding app. Each area keeps its own module so they grow independently."""

from django.urls import include, path

from onboarding.views import jobs, outbox, rotation, tenants

urlpatterns = [
    path("tenants/", tenants.tenant_list, name="tenant-list"),
    path("tenants/<int:pk>/", tenants.tenant_detail, name="tenant-detail"),
    path("tenants/<int:pk>/onboard/", jobs.start_onboarding, name="tenant-onboard"),
    path("tenants/<int:pk>/rotate-secret/", rotation.rotate_secret_now, name="tenant-rotate-secret"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job-detail"),
    path("jobs/<int:pk>/progress/", jobs.job_progress, name="job-progress"),
    path("jobs/<int:pk>/retry/", jobs.job_retry, name="job-retry"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job-cancel"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<int:pk>/", outbox.outbox_message, name="outbox-message"),
    path("", include("onboarding.consent_urls")),
    path("", include("onboarding.report_urls")),
    path("", include("onboarding.manager_urls")),
]
