"""The partner key scheme in the OpenAPI schema (imported by PartnersConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.auth.PartnerKeyAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "sqp_live_<id>_<secret>",
                "description": "A partner shop's API key, made in the partner console. Scopes: read_products, "
                               "write_products, read_rounds, read_orders, write_fulfillments, manage_webhooks."}
