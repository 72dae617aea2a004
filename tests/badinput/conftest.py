import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The world's users are created per test; a slow hasher would dominate the route walks."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
