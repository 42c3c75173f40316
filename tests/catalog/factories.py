from decimal import Decimal

import factory

from catalog.models import Category, Product, Supplier
from tests.factories import CommunityFactory


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


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    unit = "斤"
    list_price = Decimal("12.50")
    stock = None
