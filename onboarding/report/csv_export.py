"""CSV downloads that spreadsheets open safely: cells that look like formulas are quoted (OWASP CSV
injection)."""

import csv
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_rows(header: list[str], rows: Iterable[Iterable]) -> Iterator[list[str]]:
    """The header, then every row with each cell made inert: the one place CSV cells are written
    from."""
    yield [safe_cell(name) for name in header]
    for row in rows:
        yield [safe_cell(value) for value in row]


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(safe_rows(header, rows))
    return response


class _Echo:
    """A file-like object whose write() hands back the line, for streaming (Django docs, "Streaming
    large CSV")."""

    def write(self, value: str) -> str:
        return value


def streaming_csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    """Like csv_response, streamed: a 100,000-row report never sits in memory."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in safe_rows(header, rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
