"""Checks that can be made before the customer is asked anything, when a tenant is saved and again
at
Start. tenants knows no Microsoft or Proofpoint client: the onboarding app registers its checks here
(onboarding/apps.py), and the tenant form and the Start button run whatever is registered.

A check returns Problems: `field` names the form field the message belongs next to (None: the form
as
a whole), `permanent` says no retry or edit of this tenant can help, and `blocking=False` is a note
("could not check now") that does not stop a save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Problem:
    message: str
    field: str | None = None
    code: str = ""
    permanent: bool = False
    blocking: bool = True


Check = Callable[[object], list[Problem]]
_checks: list[Check] = []


def register(check: Check) -> None:
    if check not in _checks:
        _checks.append(check)


def run(tenant) -> list[Problem]:
    """Every registered check's problems for this (possibly unsaved) tenant; [] when turned off."""
    if not getattr(settings, "TENANT_PREFLIGHT", True):
        return []
    problems: list[Problem] = []
    for check in _checks:
        problems += check(tenant)
    return problems
