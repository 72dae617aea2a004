"""Existing tenants get the lifecycle their jobs imply: live from their first completed onboarding,
onboarding while a job is active, else not onboarded."""

from django.db import migrations

ACTIVE = ["queued", "running", "waiting_customer", "waiting_review", "countdown", "failed"]


def forwards(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Job = apps.get_model("onboarding", "OnboardingJob")
    for tenant in Tenant.objects.all().iterator():
        first_done = Job.objects.filter(tenant=tenant, state="completed").order_by("finished_at").first()
        if first_done is not None:
            tenant.lifecycle, tenant.live_since = "live", first_done.finished_at or first_done.created_at
        elif Job.objects.filter(tenant=tenant, state__in=ACTIVE).exists():
            tenant.lifecycle = "onboarding"
        else:
            continue
        tenant.save(update_fields=["lifecycle", "live_since"])


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0005_job_kind"),
        ("tenants", "0004_lifecycle_and_health"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
