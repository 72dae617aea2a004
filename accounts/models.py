"""The accounts app's models (Django loads this module); each lives in the module of its feature."""

from accounts.api_tokens import ApiToken

__all__ = ["ApiToken"]
