import factory
from django.utils import timezone

from accounts.models import User
from communities.models import Community, Invite, Membership, Role

PASSWORD = "correct-horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    display_name = factory.Sequence(lambda n: f"User {n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"comm{n}")
    join_policy = Community.JoinPolicy.APPROVAL


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    community = factory.SubFactory(CommunityFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
    status = Membership.Status.ACTIVE
    left_at = factory.LazyAttribute(lambda m: None if m.status in (None, "active") else timezone.now())


class InviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invite

    community = factory.SubFactory(CommunityFactory)
    created_by = factory.SubFactory(UserFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Product"

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    unit = "box"
    list_price = "30.00"
    stock = None


def make_group_buy(actor, *, products=None, price="20.00", offer=100, limit=None, tiers=(), point=None, **kwargs):
    """An open group-buy of ``actor``'s community (a pickup point is created unless given)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from orders import services
    from orders.models import PickupPoint

    community = actor.community
    products = products or [ProductFactory(community=community)]
    point = point or PickupPoint.objects.get_or_create(
        community=community, name="Gate 1", defaults={"address": "Building 1, gate", "leader": actor.user})[0]
    kwargs.setdefault("opens_at", timezone.now() - timedelta(minutes=1))
    kwargs.setdefault("closes_at", timezone.now() + timedelta(days=1))
    items = [services.ItemSpec(product_id=p.pk, group_price=Decimal(price), quantity_on_offer=offer,
                               per_member_limit=limit, tiers=tuple((q, Decimal(v)) for q, v in tiers))
             for p in products]
    return services.group_buy_create(actor=actor, title=kwargs.pop("title", "Sunday fruit"), items=items,
                                     pickup_point_ids=[point.pk], **kwargs)
