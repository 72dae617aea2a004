"""A text field stored encrypted; it lives here, the lowest app that needs it (architecture.md)."""

from django.db import models

from tenants import crypto


class EncryptedTextField(models.TextField):
    """Holds a secret. The database only ever sees Fernet ciphertext; Python code sees plaintext."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)
