"""The tenant form: every field validated with a message a technician can act on."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from tenants import preflight
from tenants.models import ProofpointStack, Tenant
from tenants.roles import is_manager
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
            raise ValidationError(
                f"Not valid domain names: {', '.join(bad)}.", code="invalid_domain"
            )

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value


# Where the MSP's Proofpoint credentials go for this tenant: only a manager changes these.
PROOFPOINT_TARGET_FIELDS = ("proofpoint_stack", "proofpoint_api_url", "proofpoint_portal_url")
MANAGER_ONLY_MESSAGE = (
    "Only a manager can change a tenant's Proofpoint stack or its Proofpoint "
    "URLs (the MSP's Proofpoint credentials are sent there). Ask a manager."
)


def _host_of(url: str) -> str:
    """host or host:port of a URL, lower-cased, as PROOFPOINT_CUSTOM_HOSTS lists them."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    return f"{host}:{port}" if port and port != 443 else host


def allowed_custom_host(url: str) -> bool:
    """Whether a white-label URL's host is one the operator lists in PROOFPOINT_CUSTOM_HOSTS."""
    allowed = set()
    for entry in settings.PROOFPOINT_CUSTOM_HOSTS:
        entry = entry.strip().lower()
        allowed.add(entry[:-4] if entry.endswith(":443") else entry)
    return bool(url) and _host_of(url) in allowed


def custom_host_message(url: str) -> str:
    if not settings.PROOFPOINT_CUSTOM_HOSTS:
        return (
            "No white-label Proofpoint hosts are configured. The operator lists them in "
            "PROOFPOINT_CUSTOM_HOSTS; until then, pick the tenant's Proofpoint stack "
            "(us1 ... eu1)."
        )
    return (
        f"{_host_of(url) or url} is not a white-label Proofpoint host the operator allows. "
        f"Use one of: {', '.join(settings.PROOFPOINT_CUSTOM_HOSTS)} (PROOFPOINT_CUSTOM_HOSTS)."
    )


def proofpoint_target_changes(before: dict, tenant: Tenant) -> list[str]:
    """ "Proofpoint stack: 'us1' -> 'custom'" for each Proofpoint target field that changed."""
    labels = {
        "proofpoint_stack": "Proofpoint stack",
        "proofpoint_api_url": "Proofpoint API URL",
        "proofpoint_portal_url": "Proofpoint portal URL",
    }
    return [
        f"{labels[name]}: '{before.get(name) or ''}' -> '{getattr(tenant, name) or ''}'"
        for name in PROOFPOINT_TARGET_FIELDS
        if (before.get(name) or "") != (getattr(tenant, name) or "")
    ]


class TenantForm(forms.ModelForm):
    domains = DomainListField(required=False, label="Further domains", help_text="One per line.")
    proofpoint_api_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Proofpoint API URL",
        help_text="White label only, e.g. https://partner.example/api/v1, on a host the "
        "operator lists in PROOFPOINT_CUSTOM_HOSTS.",
    )
    proofpoint_portal_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Proofpoint portal URL",
        help_text="White label only: the sign-in page the sync app redirects to.",
    )

    class Meta:
        model = Tenant
        fields = [
            "name",
            "primary_domain",
            "domains",
            "customer_admin_name",
            "customer_admin_email",
            "proofpoint_stack",
            "proofpoint_api_url",
            "proofpoint_portal_url",
            "create_proofpoint_org",
            "default_role",
            "sync_frequency_hours",
            "allow_deletions",
            "notes",
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

    def __init__(self, *args, start_url: str = "", user=None, **kwargs):
        """`start_url`: also offer "Save and start onboarding", posting the form there (a new
        tenant).
        `user`: who edits (a technician may not change an existing tenant's Proofpoint target)."""
        super().__init__(*args, **kwargs)
        # Who edits: a technician may not change an existing tenant's Proofpoint target (None: the
        # caller checked already, as the API does, with a 403).
        self.user = user
        self.target_before = {
            name: getattr(self.instance, name) for name in PROOFPOINT_TARGET_FIELDS
        }
        self.helper = FormHelper()
        buttons = [Submit("save", "Save tenant")]
        if start_url:
            buttons.insert(
                0, Submit("save_start", "Save and start onboarding", formaction=start_url)
            )
            buttons[1] = Submit("save", "Save only", css_class="btn-outline-secondary")
        self.helper.layout = Layout(
            Fieldset(
                "Customer",
                "name",
                "primary_domain",
                "domains",
                "customer_admin_name",
                "customer_admin_email",
            ),
            Fieldset(
                "Proofpoint Essentials",
                "proofpoint_stack",
                Div(
                    Field("proofpoint_api_url"),
                    Field("proofpoint_portal_url"),
                    css_class="custom-stack",
                ),
                "create_proofpoint_org",
                "default_role",
                "sync_frequency_hours",
                "allow_deletions",
            ),
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
                self.add_error(
                    problem.field,
                    ValidationError(problem.message, code=problem.code or "preflight"),
                )
            else:
                self.add_error(
                    None, ValidationError(problem.message, code=problem.code or "preflight")
                )

    def clean_primary_domain(self) -> str:
        domain = normalize_domain(self.cleaned_data["primary_domain"])
        validate_domain(domain)
        clash = Tenant.objects.filter(primary_domain=domain).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                f"{domain} already belongs to the tenant {clash.first().name}.", code="domain_taken"
            )
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
            elif url and not allowed_custom_host(url):
                self.add_error(name, custom_host_message(url))
        if self.instance.pk and self.user is not None and not is_manager(self.user):
            for name in PROOFPOINT_TARGET_FIELDS:
                if name in cleaned and (cleaned[name] or "") != (self.target_before[name] or ""):
                    self.add_error(name, MANAGER_ONLY_MESSAGE)
        primary = cleaned.get("primary_domain")
        if primary and primary in (cleaned.get("domains") or []):
            cleaned["domains"] = [d for d in cleaned["domains"] if d != primary]
        return cleaned
