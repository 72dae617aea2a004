"""Fixtures for every onboarding suite: a customer who answers the consent email and a job driven
in-process (entra_fixtures), a tenant whose Entra half is done (proofpoint_fixtures), and a tenant
onboarded for real (onboarded_fixtures)."""

from tests.onboarding.entra_fixtures import customer, entra  # noqa: F401
from tests.onboarding.onboarded_fixtures import onboarded  # noqa: F401
from tests.onboarding.proofpoint_fixtures import onboard  # noqa: F401
