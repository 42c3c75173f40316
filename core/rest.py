"""DRF classes named in settings: pagination and OPTIONS answers.

A module with light imports: DRF imports these while it defines its own views, so they cannot
live with code that imports drf-spectacular or DRF's views (core.api).
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.metadata import SimpleMetadata

from core.inputs import MAX_INT, parse_int


MAX_PAGE_SIZE = 200


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N (or "last") and ?page_size=N (1 to MAX_PAGE_SIZE; 50 when not given). Not a number at
    all, or a size past the maximum: 400 on the parameter; past the last page: 404."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        size = parse_int(raw, minimum=1, maximum=self.max_page_size)
        if size is None:
            raise exceptions.ValidationError({self.page_size_query_param: [
                _("Give a page size from 1 to %(max)s.") % {"max": self.max_page_size}]})
        return size

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
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": 50}
        return parameters


class APIMetadata(SimpleMetadata):
    """OPTIONS answers: name, description, media types.

    Without "actions": views here pick an input serializer per method (no serializer_class), which
    SimpleMetadata cannot see (it failed with a 500); the OpenAPI schema describes every input.
    """

    def determine_actions(self, request, view):
        return {}
