"""The typed environment readers fail loudly on bad values instead of guessing."""

import pytest

from portal.env import ConfigError, envbool, envint, envlist, envurl


@pytest.mark.parametrize(
    "raw,expected", [("yes", True), ("1", True), ("False", False), ("off", False)]
)
def test_envbool_reads_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert envbool("FLAG") is expected


def test_envbool_rejects_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ConfigError, match="FLAG must be true or false"):
        envbool("FLAG")


def test_envint_rejects_words_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ConfigError, match="N must be a whole number"):
        envint("N", 1)
    monkeypatch.setenv("N", "-1")
    with pytest.raises(ConfigError, match="at least 0"):
        envint("N", 1, minimum=0)
    monkeypatch.setenv("N", " 42 ")
    assert envint("N", 1) == 42


def test_envint_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("N", raising=False)
    assert envint("N", 7) == 7


def test_envurl_requires_an_absolute_url_of_an_allowed_scheme(monkeypatch):
    monkeypatch.setenv("U", "login.example.com")
    with pytest.raises(ConfigError, match="absolute https URL"):
        envurl("U", schemes=("https",))
    monkeypatch.setenv("U", "http://login.example.com/")
    with pytest.raises(ConfigError):
        envurl("U", schemes=("https",))
    monkeypatch.setenv("U", "https://login.example.com/")
    assert envurl("U") == "https://login.example.com"


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("L", "a, b,,c ")
    assert envlist("L") == ["a", "b", "c"]
