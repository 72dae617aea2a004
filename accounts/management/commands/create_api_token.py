"""python manage.py create_api_token USERNAME: prints a new API token alone on the last line.

Only a hash of each token is stored, so an existing token cannot be shown again: every run creates a
new one (valid API_TOKEN_DAYS days). Earlier tokens keep working until they expire or are revoked on
the profile page; --replace revokes them now.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.api_tokens import ApiToken
from accounts.tokens import issue_token
from onboarding import audit
from tenants.roles import is_staff_member


class Command(BaseCommand):
    help = "Create and print a REST API token for a technician or manager."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name",
            default="created with create_api_token",
            help="A label shown on the profile page.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="How long the token works (default: API_TOKEN_DAYS).",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Revoke the user's other tokens."
        )

    def handle(self, username, name, days, replace, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}. Create one with create_staff first.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        if not is_staff_member(user):
            self.stderr.write(
                f"Warning: {username} has no technician or manager role; the API will refuse it."
            )
        if replace:
            revoked, _ = ApiToken.objects.filter(user=user).delete()
            audit.record(
                "api_token.revoked",
                f"Revoked {revoked} API token(s) of {username} with "
                "manage.py create_api_token --replace",
            )
            self.stderr.write(f"Revoked {revoked} earlier token(s) of {username}.")
        token, key = issue_token(user, name=name, days=days)
        audit.record(
            "api_token.created",
            f"Created the API token '{token.name}' for {username} with "
            f"manage.py create_api_token (expires {token.expiry:%Y-%m-%d})",
        )
        self.stderr.write(
            f"Created an API token for {username}, valid until {token.expiry:%Y-%m-%d %H:%M %Z}. "
            "It is shown only now: keep it somewhere safe."
        )
        self.stdout.write(key)
