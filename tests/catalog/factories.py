from decimal import Decimal

import factory

from catalog.models import Category, Supplier
from tests.factories import CommunityFactory
from tests.factories import ProductFactory as BaseProductFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Farm {n}")


class ProductFactory(BaseProductFactory):
    """The shared product factory with the catalog tests' defaults."""

    unit = "斤"
    list_price = Decimal("12.50")