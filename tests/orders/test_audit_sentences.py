"""The audit log and the console overview read as sentences ("王店长 marked order #12 of 张三 paid"),
from a registry each app fills in its ready(); unknown actions and odd data still read safely."""

import pytest
from django.urls import reverse
from django.utils import translation

from communities import services as community_services
from core.audit import ACTION_LABELS, _SENTENCES, audit_record, audit_sentence
from core.models import AuditLog
from orders import services
from tests.factories import UserFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_every_known_action_has_a_sentence():
    assert set(ACTION_LABELS) <= set(_SENTENCES)


def test_marking_an_order_paid_reads_as_a_sentence(client, owner, member, place):
    owner.user.display_name = "王店长"
    owner.user.save(update_fields=["display_name"])
    member.user.display_name = "张三"
    member.user.save(update_fields=["display_name"])
    order = place(member, make_group_buy(owner))
    services.payments_mark_received(actor=owner, orders=[order])
    entry = AuditLog.objects.get(action="order.paid")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(owner.user)
    for name in ("console:audit", "console:dashboard"):
        page = client.get(reverse(name, args=[owner.community.slug])).content.decode()
        assert f"王店长 marked order #{order.pk} of 张三 paid" in page, name
        assert "from:" not in page and "to: paid" not in page  # no raw field dumps
        assert 'class="nowrap when"' in page  # the date on one line
    assert audit_sentence(entry) == f"王店长 marked order #{order.pk} of 张三 paid"


def test_a_settings_change_says_from_what_to_what(owner):
    owner.user.display_name = "张三"
    owner.user.save(update_fields=["display_name"])
    community_services.community_update(actor=owner, payment_window_minutes=60)
    entry = AuditLog.objects.get(action="community.updated")
    assert audit_sentence(entry) == "张三 changed the payment window from 30 to 60 minutes"


def test_the_sites_own_actions_and_a_members_own_payment(owner, member, place, top_up, admin_member):
    group_buy = make_group_buy(owner)
    order = place(member, group_buy)
    top_up(admin_member, member, "50")
    services.order_pay_with_wallet(member=member, order=order)
    paid = AuditLog.objects.get(action="order.paid")
    assert audit_sentence(paid) == f"{member.user.display_name} paid order #{order.pk}"
    top = AuditLog.objects.get(action="wallet.top_up")
    assert audit_sentence(top) == (f"{admin_member.user.display_name} recorded a top-up of ¥50.00 for "
                                   f"{member.user.display_name}")
    closed = AuditLog(community=owner.community, action="groupbuy.closed", object_type="groupbuy",
                      object_id=group_buy.pk, data={"from": "open", "to": "closed"})
    assert audit_sentence(closed) == f"Group-buy #{group_buy.pk} closed"


def test_unknown_actions_and_odd_data_fall_back_safely(owner):
    actor = UserFactory(display_name="Ada")
    unknown = audit_record(community=owner.community, actor=actor, action="spaceship.launched", obj=owner)
    assert audit_sentence(unknown) == f"Ada: spaceship.launched (#{owner.pk})"
    # A product entry written without the name its sentence wants: the label, not an error.
    odd = audit_record(community=owner.community, actor=actor, action="product.created", obj=owner)
    assert audit_sentence(odd) == "Ada: added a product"
    nobody = audit_record(community=owner.community, actor=None, action="team.failed", obj=owner)
    assert audit_sentence(nobody) == f"Team #{owner.pk} did not fill in time"


def test_changing_and_copying_a_round_read_as_sentences(owner):
    from datetime import timedelta

    from core.audit import audit_sentence
    from core.models import AuditLog
    from orders import services
    from tests.factories import make_group_buy

    round_ = make_group_buy(owner, title="Mangoes")
    services.group_buy_update(actor=owner, group_buy=round_, description="Sweeter",
                              closes_at=round_.closes_at + timedelta(days=1))
    changed = audit_sentence(AuditLog.objects.get(action="groupbuy.changed"))
    assert owner.user.display_name in changed and "closing time" in changed and "description" in changed
    assert "→" in changed and "{" not in changed
    copy = services.group_buy_copy(actor=owner, group_buy=round_)
    copied = audit_sentence(AuditLog.objects.get(action="groupbuy.copied"))
    assert f"#{round_.pk}" in copied and f"#{copy.pk}" in copied
