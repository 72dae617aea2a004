"""Personal API tokens: django-rest-knox's token (only a SHA-512 digest of the key is stored),
with a name, a numeric id for the profile page's links and the time it was last used."""

from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class ApiToken(AbstractAuthToken):
    # knox makes the digest the primary key; a plain id keeps digests out of URLs and forms.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(max_length=100, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name or 'API token'} of {self.user} (created {self.created:%Y-%m-%d})"
