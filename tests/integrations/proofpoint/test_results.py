"""Defensive parsing of Proofpoint timestamps (format undocumented)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.proofpoint.client import parse_timestamp

WHEN = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2027-05-01T12:00:00Z",
        "2027-05-01T12:00:00+00:00",
        "2027-05-01 12:00:00",
        1809172800,
        1809172800000,
        "1809172800",
        1809172800.0,
        "05/01/2027 12:00:00",
    ],
)
def test_parse_timestamp_reads_every_plausible_format(value):
    assert parse_timestamp(value) == WHEN


@pytest.mark.parametrize("value", [None, "", "never", 0, True, {"x": 1}])
def test_parse_timestamp_gives_none_for_anything_else(value):
    assert parse_timestamp(value) is None
