"""JSON the database can store: text that is valid UTF-8 (no lone surrogates such as "\\ud800")."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _check(value) -> None:
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            _check(data)
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - the text is not valid UTF-8.") from None
        return data
