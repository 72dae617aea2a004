"""Rotate one customer's Proofpoint sync app secret now (the daily task does the due ones by
itself).

python manage.py rotate_secret contoso.com
"""

from django.core.management.base import BaseCommand, CommandError

from onboarding.secrets import rotation
from tenants.models import Tenant
from tenants.validators import normalize_domain


class Command(BaseCommand):
    help = "Rotate the Proofpoint sync app's client secret of the tenant with this primary domain."

    def add_arguments(self, parser):
        parser.add_argument("domain", help="The tenant's primary domain, e.g. contoso.com")

    def handle(self, *args, domain: str, **options):
        tenant = Tenant.objects.filter(primary_domain=normalize_domain(domain)).first()
        if tenant is None:
            raise CommandError(f"No tenant has the primary domain {domain}.")
        try:
            summary = rotation.rotate_secret(tenant)
        except Exception as error:  # noqa: BLE001  said in plain words (recorded on the tenant's page too)
            raise CommandError(rotation.describe(error)) from error
        self.stdout.write(self.style.SUCCESS(summary))
