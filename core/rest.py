"""DRF classes named in settings: pagination and OPTIONS answers.

A module with light imports: DRF imports these while it defines its own views, so they cannot
live with code that imports drf-spectacular or DRF's views (core.api).
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.metadata import SimpleMetadata

from core.inputs import MAX_INT, parse_int


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N (or "last"). Not a page number at all: 400 on the field; past the last page: 404."""

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        number = parse_int(raw, minimum=1, maximum=MAX_INT)
        if number is None:
            raise exceptions.ValidationError({self.page_query_param: [
                _("Give a page number: a whole number from 1 (or \"last\").")]})
        return number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
        return parameters


class APIMetadata(SimpleMetadata):
    """OPTIONS answers: name, description, media types.

    Without "actions": views here pick an input serializer per method (no serializer_class), which
    SimpleMetadata cannot see (it failed with a 500); the OpenAPI schema describes every input.
    """

    def determine_actions(self, request, view):
        return {}
