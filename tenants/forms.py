"""The tenant form: every field validated with a message a technician can act on."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError

from tenants import preflight
from tenants.models import ProofpointStack, Tenant
from tenants.validators import normalize_domain, validate_domain


class DomainListField(forms.CharField):
    """Further domains, one per line or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [normalize_domain(part) for part in text.replace(",", "\n").split() if part.strip()]

    def validate(self, value) -> None:
        bad = []
        for domain in value:
            try:
                validate_domain(domain)
            except ValidationError:
                bad.append(domain)
        if bad:
            raise ValidationError(f"Not valid domain names: {', '.join(bad)}.", code="invalid_domain")

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


class TenantForm(forms.ModelForm):
    domains = DomainListField(required=False, label="Further domains", help_text="One per line.")
    proofpoint_api_url = forms.URLField(
        required=False, assume_scheme="https", label="Proofpoint API URL",
        help_text="White label only, e.g. https://partner.example/api/v1",
    )
    proofpoint_portal_url = forms.URLField(
        required=False, assume_scheme="https", label="Proofpoint portal URL",
        help_text="White label only: the sign-in page the sync app redirects to.",
    )

    class Meta:
        model = Tenant
        fields = [
            "name", "primary_domain", "domains", "customer_admin_name", "customer_admin_email",
            "proofpoint_stack", "proofpoint_api_url", "proofpoint_portal_url", "create_proofpoint_org",
            "default_role", "sync_frequency_hours", "allow_deletions", "notes",
        ]
        labels = {
            "primary_domain": "Primary email domain",
            "customer_admin_email": "Customer admin email",
            "customer_admin_name": "Customer admin name",
            "proofpoint_stack": "Proofpoint stack",
            "sync_frequency_hours": "Sync frequency",
            "create_proofpoint_org": "Create the Proofpoint org",
        }
        help_texts = {
            "customer_admin_email": "A Global Administrator of the customer's Microsoft 365. "
            "They get the consent link.",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, start_url: str = "", **kwargs):
        """`start_url`: also offer "Save and start onboarding", posting the form there (a new tenant)."""
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        buttons = [Submit("save", "Save tenant")]
        if start_url:
            buttons.insert(0, Submit("save_start", "Save and start onboarding", formaction=start_url))
            buttons[1] = Submit("save", "Save only", css_class="btn-outline-secondary")
        self.helper.layout = Layout(
            Fieldset("Customer", "name", "primary_domain", "domains", "customer_admin_name",
                     "customer_admin_email"),
            Fieldset("Proofpoint Essentials", "proofpoint_stack",
                     Div(Field("proofpoint_api_url"), Field("proofpoint_portal_url"), css_class="custom-stack"),
                     "create_proofpoint_org", "default_role", "sync_frequency_hours", "allow_deletions"),
            "notes",
            Div(*buttons, css_class="d-flex gap-2 flex-wrap"),
        )

    def _post_clean(self) -> None:
        """After the fields are valid: what Microsoft and Proofpoint say (tenants.preflight), each
        problem next to its field. Notes that do not block (a service not answering) stay in
        `preflight_notes` for the page to show."""
        super()._post_clean()
        self.preflight_notes: list[str] = []
        if self.errors:
            return
        for problem in preflight.run(self.instance):
            if not problem.blocking:
                self.preflight_notes.append(problem.message)
            elif problem.field in self.fields:
                self.add_error(problem.field, ValidationError(problem.message, code=problem.code or "preflight"))
            else:
                self.add_error(None, ValidationError(problem.message, code=problem.code or "preflight"))

    def clean_primary_domain(self) -> str:
        domain = normalize_domain(self.cleaned_data["primary_domain"])
        validate_domain(domain)
        clash = Tenant.objects.filter(primary_domain=domain).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"{domain} already belongs to the tenant {clash.first().name}.")
        return domain

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("proofpoint_stack") == ProofpointStack.CUSTOM:
            for name in ("proofpoint_api_url", "proofpoint_portal_url"):
                if not cleaned.get(name):
                    self.add_error(name, "Required for a white-label (custom) stack.")
        for name in ("proofpoint_api_url", "proofpoint_portal_url"):
            url = cleaned.get(name) or ""
            if url and not url.startswith("https://"):
                self.add_error(name, "Use an https:// address.")
        primary = cleaned.get("primary_domain")
        if primary and primary in (cleaned.get("domains") or []):
            cleaned["domains"] = [d for d in cleaned["domains"] if d != primary]
        return cleaned
