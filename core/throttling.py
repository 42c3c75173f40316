"""DRF throttles keyed on core.net.client_ip, never on a header the client can write.

DRF's own get_ident() reads X-Forwarded-For whenever NUM_PROXIES is unset, and with NUM_PROXIES
set it trusts the header without checking who sent it. Every throttle in the project derives from
these classes; settings set NUM_PROXIES to 0 so a stock DRF throttle falls back to REMOTE_ADDR.
"""

from rest_framework import throttling

from core.net import client_ip


class ClientAddressMixin:
    def get_ident(self, request):
        return client_ip(request) or ""


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass
