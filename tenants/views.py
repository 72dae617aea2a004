"""Create and edit tenants. Listing and the tenant page live in onboarding, which knows the jobs."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse

from tenants.access import staff_required
from tenants.forms import TenantForm, proofpoint_target_changes
from tenants.models import Tenant
from tenants.signals import tenant_changed


@staff_required
def tenant_create(request):
    form = TenantForm(request.POST if request.method == "POST" else None, start_url=_start_url())
    if request.method == "POST" and form.is_valid():
        tenant = form.save(commit=False)
        tenant.created_by = request.user
        tenant.save()
        _audit(request, "tenant.created", f"Created tenant {tenant}", tenant)
        messages.success(
            request, f"{tenant.name} was added. Start its onboarding when you are ready."
        )
        _notes(request, form)
        return redirect(tenant)
    return render(request, "tenants/tenant_form.html", {"form": form, "creating": True})


@staff_required
def tenant_edit(request, pk: int):
    tenant = get_object_or_404(Tenant, pk=pk)
    form = TenantForm(
        request.POST if request.method == "POST" else None, instance=tenant, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        _audit(
            request,
            "tenant.updated",
            f"Edited tenant {tenant}: {', '.join(form.changed_data)}",
            tenant,
        )
        target = proofpoint_target_changes(form.target_before, tenant)
        if target:
            _audit(
                request,
                "tenant.proofpoint_target_changed",
                f"Changed where {tenant.name}'s Proofpoint calls go: {'; '.join(target)}",
                tenant,
            )
        messages.success(request, "Saved.")
        _notes(request, form)
        return redirect(tenant)
    return render(request, "tenants/tenant_form.html", {"form": form, "tenant": tenant})


def _start_url() -> str:
    """Where "Save and start onboarding" posts, when the onboarding app offers it."""
    try:
        return reverse("tenant-create-start")
    except NoReverseMatch:
        return ""


def _notes(request, form) -> None:
    for note in getattr(form, "preflight_notes", []):
        messages.warning(request, note)


def _audit(request, action, description, tenant):
    # tenants must not import onboarding, where the audit trail lives: announce, and it records.
    tenant_changed.send(
        sender=Tenant, request=request, action=action, description=description, tenant=tenant
    )
