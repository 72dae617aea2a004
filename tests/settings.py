"""The suite's settings: the portal's own (portal/settings.py), with a fast password hasher.

Django's default PBKDF2 hasher costs about 0.6 s per password on a CI core, and most tests create
a user or two (tests/world.py): that was minutes of every run. MD5 is unsafe for real passwords and
fine for test ones. pytest-django exports DJANGO_SETTINGS_MODULE, so the web servers and workers
tests start inherit this module too and accept the passwords the tests set. The production-settings
checks (tests/security) start their commands with an environment of their own: portal.settings.
"""

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
