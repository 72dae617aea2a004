"""Fernet encryption for secrets at rest, keyed by FIELD_ENCRYPTION_KEYS.

MultiFernet: the first key encrypts, every key decrypts, so keys can rotate without downtime
(`manage.py rotate_encryption_keys` re-encrypts stored values with the first key).
"""

from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()
