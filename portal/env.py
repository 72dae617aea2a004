"""Typed readers for environment variables that fail loudly on bad values.

Modelled on healthchecks' hc/settings.py (envbool, envint): a typo in production configuration
should stop the process at start-up with a message naming the variable, never be silently ignored.

An empty value (`DATABASE_URL=` in .env, as .env.example ships them) means the embedded default, for
every reader: "unset" and "set to nothing" are the same thing to a person editing .env.
"""

import os
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A configuration variable holds a value that cannot be used."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env(name: str, default: str = "") -> str:
    """The variable's value, or `default` when it is unset or empty."""
    return os.environ.get(name, "").strip() or default


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false (yes/no, 1/0), not {raw!r}")


def envint(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def envlist(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


def envurl(name: str, default: str = "", schemes: tuple[str, ...] = ("https", "http")) -> str:
    """A URL without a trailing slash; empty when unset and no default."""
    value = env(name, default).rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        allowed = " or ".join(schemes)
        raise ConfigError(f"{name} must be an absolute {allowed} URL, not {value!r}")
    return value
