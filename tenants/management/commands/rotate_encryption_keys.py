"""Re-encrypt every encrypted value with the newest key (the first of FIELD_ENCRYPTION_KEYS).

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), restart, run
this command, then drop the old keys. Values are read with any key and written with the first one.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.fields import EncryptedTextField


def encrypted_fields():
    """(model, [field names]) for every model with an EncryptedTextField."""
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model, names in encrypted_fields():
            count = 0
            for row in model._default_manager.only("pk", *names).iterator(chunk_size=500):
                values = {name: getattr(row, name) for name in names if getattr(row, name)}
                if values:
                    with transaction.atomic():
                        model._default_manager.filter(pk=row.pk).update(**values)
                    count += 1
            total += count
            self.stdout.write(
                f"{model._meta.label}: re-encrypted {count} row(s) ({', '.join(names)})"
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {total} row(s) now use the newest key."))
