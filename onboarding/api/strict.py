"""JSON bodies taken as the schema says, not as DRF guesses: a string field takes a string (not
12), a boolean takes true/false (not "yes" or 1), an integer an integer (not "5"), and a field the
schema does not list is refused rather than ignored. So what /api/schema/ states is exactly what
is accepted."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

TYPE_MESSAGES = {
    str: "Send text (a JSON string).",
    bool: "Send true or false (a JSON boolean).",
    int: "Send a whole number (a JSON integer).",
    list: "Send a list (a JSON array).",
    dict: "Send an object (JSON).",
}


def expected_type(field: serializers.Field) -> type | None:
    """The JSON type a field takes, or None when any is fine (or DRF checks it well already)."""
    if isinstance(field, serializers.BaseSerializer):
        return dict
    if isinstance(field, serializers.ListField):
        return list
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.ChoiceField):
        keys = list(field.choices)
        return int if keys and all(isinstance(key, int) for key in keys) else str
    if isinstance(field, serializers.IntegerField):
        return int
    if isinstance(field, serializers.CharField):
        return str
    return None


def _type_error(field: serializers.Field, value) -> str | None:
    if value is None:
        return None  # DRF answers null itself ("This field may not be null.")
    wanted = expected_type(field)
    if wanted is None:
        return None
    fits = isinstance(value, wanted) and not (wanted is int and isinstance(value, bool))
    if not fits:
        return TYPE_MESSAGES[wanted]
    if wanted is list and isinstance(field, serializers.ListField):
        for item in value:
            message = _type_error(field.child, item)
            if message:
                return f"Every item: {message[0].lower()}{message[1:]}"
    return None


class StrictInput:
    # A mixin for a Serializer whose input is a JSON object (see the module's docstring). No
    # docstring here: drf-spectacular would show it as every such serializer's description.

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            errors = {}
            for name in data:
                if name not in writable:
                    errors[str(name)[:100]] = ["Unknown field: leave it out (see /api/schema/)."]
            for name, field in writable.items():
                if name in data:
                    message = _type_error(field, data[name])
                    if message:
                        errors[name] = [message]
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)
