"""Pages of results: `page` is a whole number from 1; anything else is a 400 with words."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE = 2**31 - 1


class StrictPageNumberPagination(PageNumberPagination):
    """DRF's page numbers, minus the guesswork: `page=abc`, `page=`, `page=0` are refused (400), a
    page past the last is still 404 (api.md)."""

    last_page_strings = ()

    def get_page_number(self, request, paginator) -> int:
        if self.page_query_param not in request.query_params:
            return 1
        text = request.query_params[self.page_query_param].strip()
        digits = text.isascii() and text.isdigit() and len(text) <= 10
        if not digits or not 0 < int(text) <= MAX_PAGE:
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"Give a page number from 1 to {MAX_PAGE} (a whole number), "
                        "or leave page out for the first page."
                    ]
                }
            )
        return int(text)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
                parameter["description"] = "A page number from 1; past the last page: 404."
        return parameters
