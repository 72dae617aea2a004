"""Validation of domain names the way DNS and Microsoft 365 accept them."""

import re

from django.core.exceptions import ValidationError

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(value: str) -> str:
    return (value or "").strip().lower().rstrip(".")


def validate_domain(value: str) -> None:
    domain = normalize_domain(value)
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(LABEL.match(label) for label in labels):
        raise ValidationError(
            "%(value)s is not a valid domain name. Use the customer's email domain, like "
            "contoso.com.",
            params={"value": value},
            code="invalid_domain",
        )
    if labels[-1].isdigit():
        raise ValidationError("A domain name cannot end in a number.", code="invalid_domain")
