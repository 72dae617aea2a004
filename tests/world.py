"""The one world every suite shares (healthchecks' alice/bob/charlie): a technician, a manager, a
person with no role, an anonymous visitor, tenant A whose customer holds a live consent link, and
tenant B with none. `build_world` adds what the page walkers need (a job in review with report rows,
an outbox email, the app secret and the other secrets that must never show).

tests/conftest.py makes every fixture here available to every suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from onboarding import engine
from onboarding.consent import links
from onboarding.models import (
    AccountKind,
    JobState,
    OnboardingJob,
    OutboxMessage,
    Section,
    SyncReportRow,
)
from tenants.models import EntraApplication, Tenant

PASSWORD = "correct-horse-battery"


def make_user(username: str, group: str | None = None) -> User:
    user = User.objects.create_user(username, f"{username}@msp.example", PASSWORD)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def technician(db):
    return make_user("alice", "Technicians")


@pytest.fixture
def manager(db):
    return make_user("mandy", "Managers")


@pytest.fixture
def outsider(db):
    """Logged in, but neither technician nor manager."""
    return make_user("oscar")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tech_client(technician):
    return client_for(technician)


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def tenant_a(db, technician):
    return Tenant.objects.create(
        name="Fabrikam",
        primary_domain="fabrikam.example",
        customer_admin_email="admin@fabrikam.example",
        created_by=technician,
    )


@pytest.fixture
def tenant_b(db):
    return Tenant.objects.create(
        name="Northwind",
        primary_domain="northwind.example",
        customer_admin_email="it@northwind.example",
    )


@pytest.fixture
def anonymous(db) -> Client:
    """A visitor who is not logged in."""
    return Client()


@dataclass(frozen=True)
class CustomerWithLink:
    """Tenant A's customer admin: holds a live consent link (no account); tenant B's holds none."""

    tenant: Tenant
    job: OnboardingJob
    token: str

    @property
    def url(self) -> str:
        return f"/consent/{self.token}/"


@pytest.fixture
def customer_a(tenant_a, technician, dispatched) -> CustomerWithLink:
    job = engine.start_job(tenant_a, technician)
    OnboardingJob.objects.filter(pk=job.pk).update(
        state=JobState.WAITING_CUSTOMER, current_step="customer_consent"
    )
    job.refresh_from_db()
    issued = links.create_link(job, "msp_app")
    return CustomerWithLink(tenant_a, job, issued.token)


# --- a populated portal for the page walkers
# -------------------------------------------------------
APP_SECRET = "Zq8~app-secret-for-the-sync-app-7f3d1c"
MSP_SECRET = "Xw2~msp-multitenant-app-secret-91ab"
PROOFPOINT_PASSWORD = "pp-channel-admin-password-4471"


@dataclass
class World:
    tenant: Tenant
    job: OnboardingJob
    email: OutboxMessage
    consent_token: str
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def ids(self) -> dict[str, int]:
        """For tests.security.routes.concrete: which pk each URL's first segment takes."""
        return {
            "tenants": self.tenant.pk,
            "jobs": self.job.pk,
            "onboardings": self.job.pk,
            "outbox": self.email.pk,
            "webhooks": 1,
        }


def build_world(settings, technician) -> World:
    settings.MSP_APP_CLIENT_SECRET = MSP_SECRET
    settings.PROOFPOINT_API_PASSWORD = PROOFPOINT_PASSWORD
    tenant = Tenant.objects.create(
        name="Fabrikam",
        primary_domain="fabrikam.example",
        customer_admin_email="admin@fabrikam.example",
        entra_tenant_id="6f1c2a3b-0000-4000-8000-00000000000a",
        created_by=technician,
    )
    EntraApplication.objects.create(
        tenant=tenant,
        unique_name="proofpoint-sync",
        client_id="0c4e5f60-0000-4000-8000-0000000000c1",
        secret=APP_SECRET,
        secret_hint=APP_SECRET[:3],
        secret_expires_at=timezone.now() + timedelta(days=730),
    )
    job = engine.start_job(tenant, technician)
    OnboardingJob.objects.filter(pk=job.pk).update(
        state=JobState.WAITING_REVIEW, current_step="review"
    )
    job.refresh_from_db()
    SyncReportRow.objects.bulk_create(
        SyncReportRow(
            job=job,
            email=f"user{i}@fabrikam.example",
            display_name=f"User {i}",
            section=section,
            kind=AccountKind.USER,
            licensed=True,
        )
        for i, section in enumerate(
            [Section.ADDING, Section.UPDATING, Section.DELETING, Section.EXEMPT] * 3
        )
    )
    issued = links.create_link(job, "msp_app")
    email = OutboxMessage.objects.create(
        to="admin@fabrikam.example",
        subject="Approve the onboarding app",
        body_text="Open https://portal.example/consent/x/",
        body_html="<p>Hi</p>",
    )
    return World(
        tenant,
        job,
        email,
        issued.token,
        secrets={
            "customer sync app secret": APP_SECRET,
            "MSP app secret": MSP_SECRET,
            "Proofpoint API password": PROOFPOINT_PASSWORD,
            "Django SECRET_KEY": settings.SECRET_KEY,
            **{
                f"field encryption key {i + 1}": key
                for i, key in enumerate(settings.FIELD_ENCRYPTION_KEYS)
            },
        },
    )
