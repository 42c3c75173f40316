import factory

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


class InviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invite

    community = factory.SubFactory(CommunityFactory)
    created_by = factory.SubFactory(UserFactory)
