"""python manage.py create_api_token USERNAME: prints the user's API token alone on the last line.

Creates the token if the user has none. Anyone who can run manage.py can read the database anyway;
the API itself never shows a token, not even the caller's own.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from tenants.roles import is_staff_member


class Command(BaseCommand):
    help = "Print the REST API token of a technician or manager, creating it if missing."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}. Create one with create_staff first.")
        if not is_staff_member(user):
            self.stderr.write(f"Warning: {username} has no technician or manager role; the API will refuse it.")
        token, created = Token.objects.get_or_create(user=user)
        if created:
            self.stderr.write(f"Created an API token for {username}.")
        self.stdout.write(token.key)
