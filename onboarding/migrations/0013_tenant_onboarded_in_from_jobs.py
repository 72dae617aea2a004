"""Tenants already live get `onboarded_in` from their first completed onboarding (the job whose
completion set `live_since`), so the dashboard's time-to-onboard figures can be read from tenants."""

from django.db import migrations


def forwards(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Job = apps.get_model("onboarding", "OnboardingJob")
    live = Tenant.objects.filter(live_since__isnull=False, onboarded_in__isnull=True)
    for tenant in live.iterator():
        first_done = (
            Job.objects.filter(tenant=tenant, kind="onboarding", state="completed")
            .order_by("finished_at", "pk")
            .first()
        )
        if first_done is None:
            continue  # brought in live from Proofpoint: the portal did not onboard it
        finished_at = first_done.finished_at or first_done.created_at
        tenant.onboarded_in = finished_at - first_done.created_at
        tenant.save(update_fields=["onboarded_in"])


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0012_health_check_slot"),
        ("tenants", "0005_first_onboarding_duration"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
