"""Orders: odd digits and out-of-range numbers typed into the console are a form error, not a 500."""

import pytest
from django.urls import reverse

from orders import services
from orders.models import GroupBuy
from tests.factories import ProductFactory
from tests.orders.test_console import round_form

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("quantity, price", [("²", "5"), ("٣", "5"), ("99999999999", "5"), ("10", "99999999999999"),
                                             ("10", "٣"), ("10", "1e3"), ("10", "-1"), ("", "5"), ("3", "")])
def test_price_tiers_with_odd_numbers_are_a_row_error(client, owner, quantity, price):
    community = owner.community
    point = services.pickup_point_save(actor=owner, name="Gate 1", address="Building 1")
    apples = ProductFactory(community=community, name="Apples")
    client.force_login(owner.user)

    response = client.post(reverse("orders_console:group_buy_new", args=[community.slug]), round_form(point, {
        0: {"product": apples.pk, "group_price": "10", "quantity_on_offer": "5", "tier_quantity_0": quantity,
            "tier_price_0": price}}))

    # The form comes back with the row's error (a refused write answers 400, never 2xx).
    assert response.status_code == 400 and "tier" in response.content.decode().lower()
    assert not GroupBuy.objects.filter(community=community).exists()


@pytest.mark.parametrize("field", ["opens_at", "closes_at", "expected_pickup_at"])
def test_a_round_time_in_a_year_like_1147_is_a_field_error(owner, field):
    from datetime import datetime, timezone as dt_timezone

    from core.exceptions import ValidationFailed
    from orders import services
    from tests.factories import ProductFactory

    product = ProductFactory(community=owner.community)
    times = {"opens_at": datetime(2030, 5, 1, tzinfo=dt_timezone.utc), "closes_at": datetime(2030, 5, 3, tzinfo=dt_timezone.utc),
             "expected_pickup_at": datetime(2030, 5, 4, tzinfo=dt_timezone.utc)}
    times[field] = datetime(1147, 5, 1, tzinfo=dt_timezone.utc)
    with pytest.raises(ValidationFailed) as error:
        services.group_buy_create(actor=owner, title="Old", allows_delivery=True,
                                  items=[services.ItemSpec(product_id=product.pk, group_price=1, quantity_on_offer=5)],
                                  **times)
    assert field in error.value.fields
