"""The audit trail: per tenant for staff, across every tenant for managers; filters and CSV
export."""

from datetime import datetime, time

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from onboarding.access import get_tenant_for_user
from onboarding.models import AuditEvent
from onboarding.report.csv_export import csv_response
from tenants.access import manager_required, staff_required
from tenants.roles import is_manager

PAGE_SIZE = 50


class AuditFilter(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Text")
    actor = forms.CharField(required=False, max_length=150, label="Who")
    action = forms.CharField(required=False, max_length=60, label="Action")
    tenant = forms.CharField(required=False, max_length=200, label="Tenant")
    via = forms.ChoiceField(
        required=False,
        label="Through",
        choices=[("", "Anywhere"), ("api", "API"), ("web", "Pages and system")],
    )
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Until"
    )


def filtered(events, form):
    if not form.is_valid():
        return events
    data = form.cleaned_data
    if data["q"]:
        events = events.filter(description__icontains=data["q"])
    if data["actor"]:
        events = events.filter(actor_label__icontains=data["actor"])
    if data["action"]:
        events = events.filter(action__istartswith=data["action"])
    if data.get("tenant"):
        events = events.filter(
            Q(tenant__name__icontains=data["tenant"])
            | Q(tenant__primary_domain__icontains=data["tenant"])
        )
    if data["via"]:
        events = events.filter(via_api=data["via"] == "api")
    zone = timezone.get_current_timezone()
    if data["since"]:
        events = events.filter(created_at__gte=datetime.combine(data["since"], time.min, zone))
    if data["until"]:
        events = events.filter(created_at__lte=datetime.combine(data["until"], time.max, zone))
    return events


def audit_page(request, events, template_context: dict):
    form = AuditFilter(request.GET or None)
    events = filtered(events.select_related("tenant", "job").order_by("-created_at", "-pk"), form)
    show_ip = is_manager(request.user)  # a customer admin's address is personal data: managers only
    if request.GET.get("export") == "csv":
        return export_csv(events, show_ip=show_ip)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "extra_query": query.urlencode(),
        "show_ip": show_ip,
        **template_context,
    }
    return render(request, "audit/audit_list.html", context)


def export_csv(events, show_ip: bool = False):
    ip_header = ["ip address"] if show_ip else []
    header = ["when", "who", "action", "description", "tenant", "job", *ip_header, "via api"]
    rows = (
        [
            event.created_at.isoformat(),
            event.actor_label,
            event.action,
            event.description,
            event.tenant.name if event.tenant else "",
            event.job_id or "",
            *([event.ip_address or ""] if show_ip else []),
            "yes" if event.via_api else "no",
        ]
        for event in events.iterator(chunk_size=2000)
    )
    return csv_response(f"audit-{timezone.now():%Y%m%d-%H%M}.csv", header, rows)


@manager_required
def audit_list(request):
    return audit_page(request, AuditEvent.objects.all(), {"tenant": None})


@staff_required
def tenant_audit(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    return audit_page(request, AuditEvent.objects.filter(tenant=tenant), {"tenant": tenant})
