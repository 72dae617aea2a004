"""API routes under /api/ (docs/api.md), the OpenAPI schema and its Swagger UI."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from onboarding.api import fleet, views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/tenants/", views.TenantList.as_view(), name="api-tenant-list"),
    path("v1/tenants/discover/", fleet.TenantDiscover.as_view(), name="api-tenant-discover"),
    path("v1/tenants/<int:pk>/", views.TenantDetail.as_view(), name="api-tenant-detail"),
    path(
        "v1/tenants/<int:pk>/onboardings/",
        views.TenantOnboardings.as_view(),
        name="api-tenant-onboard",
    ),
    path(
        "v1/tenants/<int:pk>/health/check/",
        views.TenantHealthCheck.as_view(),
        name="api-tenant-health-check",
    ),
    path("v1/tenants/<int:pk>/repair/", views.TenantRepair.as_view(), name="api-tenant-repair"),
    path("v1/onboardings/", views.OnboardingList.as_view(), name="api-onboarding-list"),
    path(
        "v1/onboardings/<int:pk>/", views.OnboardingDetail.as_view(), name="api-onboarding-detail"
    ),
    path(
        "v1/onboardings/<int:pk>/retry/",
        views.OnboardingRetry.as_view(),
        name="api-onboarding-retry",
    ),
    path(
        "v1/onboardings/<int:pk>/cancel/",
        views.OnboardingCancel.as_view(),
        name="api-onboarding-cancel",
    ),
    path(
        "v1/onboardings/<int:pk>/consent/resend/",
        views.ConsentResend.as_view(),
        name="api-consent-resend",
    ),
    path("v1/onboardings/<int:pk>/report/", views.ReportList.as_view(), name="api-report"),
    path(
        "v1/onboardings/<int:pk>/report/summary/",
        views.ReportSummary.as_view(),
        name="api-report-summary",
    ),
    path(
        "v1/onboardings/<int:pk>/report/exclude/",
        views.ReportExclude.as_view(),
        name="api-report-exclude",
    ),
    path(
        "v1/onboardings/<int:pk>/report/include/",
        views.ReportInclude.as_view(),
        name="api-report-include",
    ),
    path(
        "v1/onboardings/<int:pk>/approve/", views.ReportApprove.as_view(), name="api-report-approve"
    ),
    re_path(r"^", views.NotFoundView.as_view(), name="api-not-found"),
]
