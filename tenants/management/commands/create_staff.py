"""python manage.py create_staff USERNAME --role technician|manager [--password P] [--email E]"""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = "Create a technician or manager (or update the role and password of an existing one)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(ROLE_GROUPS), required=True)
        parser.add_argument("--password", help="Without it, the command prompts for one.")
        parser.add_argument("--email", default="")

    def handle(self, username, role, password, email, **options):
        password = password or self._prompt_password()
        user, created = get_user_model().objects.get_or_create(username=username)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user.set_password(password)
        user.email = email or user.email
        user.save()
        user.groups.set([Group.objects.get_or_create(name=ROLE_GROUPS[role])[0]])
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {role} {username}.")

    def _prompt_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords did not match.")
        return first
