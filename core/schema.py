"""The OpenAPI schema: every operation documents the errors it can answer, in the Error shape.

Its own module: core.api is loaded while DRF defines APIView (the metadata class), before
drf-spectacular's AutoSchema can be imported.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from core.api import ERROR_DESCRIPTIONS, ErrorSerializer


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers any operation can give, in the Error shape.

    What a view declares itself (409, 410, 422...) stands; what every view of a kind answers is
    added here once: 400 (any request, e.g. one with a NUL character: core.middleware), 401 (needs
    a login), 403 (writes: permissions, CSRF; reads that need a role declare it themselves), 404
    (an id in the path, a page past the last), 415 (a body in another media type) and 429
    (throttled views).
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        codes = {400}
        security = operation.get("security") or []
        if security and {} not in security:
            codes.add(401)
            if self.method not in SAFE_METHODS:  # CSRF under session login, and any write permission
                codes.add(403)
        if "{" in path or any(p["name"] == "page" for p in operation.get("parameters", [])):
            codes.add(404)
        if "requestBody" in operation:
            codes.add(415)
        if getattr(self.view, "throttle_classes", None):
            codes.add(429)
        responses = operation["responses"]
        for code in sorted(codes):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), str(code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation
