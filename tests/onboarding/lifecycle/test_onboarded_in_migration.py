"""Migration 0013 gives tenants already live how long their first completed onboarding took, so the
dashboard's time-to-onboard figures (read from tenants since then) keep every earlier onboarding."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from onboarding.models import JobKind, JobState, OnboardingJob
from tenants.models import Lifecycle, Tenant
from tests.onboarding.views.jobs_in_any_state import make_tenants

MIGRATION = importlib.import_module("onboarding.migrations.0013_tenant_onboarded_in_from_jobs")
pytestmark = pytest.mark.django_db


def historical_apps():
    state = MigrationExecutor(connection).loader.project_state(
        ("onboarding", "0013_tenant_onboarded_in_from_jobs")
    )
    return state.apps


def finished_job(tenant, *, took, ago, kind=JobKind.ONBOARDING, state=JobState.COMPLETED):
    made = OnboardingJob.objects.create(tenant=tenant, kind=kind, state=state)
    finished = timezone.now() - ago
    OnboardingJob.objects.filter(pk=made.pk).update(
        created_at=finished - took, finished_at=finished
    )
    return finished


def test_live_tenants_get_their_first_completed_onboardings_duration():
    onboarded, adopted, new = make_tenants(3, prefix="mig")
    first = finished_job(onboarded, took=timedelta(hours=3), ago=timedelta(days=10))
    finished_job(onboarded, took=timedelta(hours=30), ago=timedelta(days=2))  # a later re-run
    finished_job(onboarded, took=timedelta(hours=50), ago=timedelta(days=1), kind=JobKind.REPAIR)
    finished_job(new, took=timedelta(hours=1), ago=timedelta(days=1), state=JobState.CANCELLED)
    Tenant.objects.filter(pk=onboarded.pk).update(lifecycle=Lifecycle.LIVE, live_since=first)
    Tenant.objects.filter(pk=adopted.pk).update(lifecycle=Lifecycle.LIVE, live_since=first)

    MIGRATION.forwards(historical_apps(), None)

    durations = dict(Tenant.objects.values_list("pk", "onboarded_in"))
    assert durations[onboarded.pk] == timedelta(hours=3)
    assert durations[adopted.pk] is None, "brought in live: the portal did not onboard it"
    assert durations[new.pk] is None
