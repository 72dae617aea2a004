"""Routes of the sync report review page and the next-steps page; see onboarding/urls.py."""

from django.urls import path

from onboarding.views import next_steps, report

urlpatterns = [
    path("jobs/<int:pk>/report/", report.report, name="job-report"),
    path("jobs/<int:pk>/report.csv", report.report_csv, name="job-report-csv"),
    path("jobs/<int:pk>/report/exclude/", report.report_exclude, name="job-report-exclude"),
    path("jobs/<int:pk>/report/include/", report.report_include, name="job-report-include"),
    path("jobs/<int:pk>/report/approve/", report.report_approve, name="job-report-approve"),
    path("jobs/<int:pk>/report/rebuild/", report.report_rebuild, name="job-report-rebuild"),
    path("tenants/<int:pk>/next-steps/", next_steps.next_steps, name="tenant-next-steps"),
]
