"""Member pages and console pages of split-bill collections."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.audit import audit_sentence, register_audit_sentences
from core.models import AuditLog
from crowdfunding.audit_sentences_collections import SENTENCES
from crowdfunding.models import Collection
from tests.crowdfunding.collection_helpers import balance, create, friends, top_up
from tests.factories import CommunityFactory, MembershipFactory


def page(community, name, **kwargs):
    return reverse(f"crowdfunding:{name}", kwargs={"slug": community.slug, **kwargs})


def test_new_collection_form_creates_and_shows_it(client, community, owner, member, admin_member):
    client.force_login(owner.user)
    form = client.get(page(community, "collection_new"))
    assert form.status_code == 200
    assert member.user.display_name in form.content.decode()
    token = form.context["form"].initial["token"]
    response = client.post(page(community, "collection_new"), {
        "token": token, "title": "KTV night", "split": "even", "amount": "100",
        "participant": [owner.user_id, member.user_id, admin_member.user_id]})
    collection = Collection.objects.get()
    assert response.status_code == 302 and response.url == collection.get_absolute_url()
    # A double submit (same token) does not start a second collection.
    client.post(page(community, "collection_new"), {
        "token": token, "title": "KTV night", "split": "even", "amount": "100",
        "participant": [owner.user_id, member.user_id, admin_member.user_id]})
    assert Collection.objects.count() == 1
    html = client.get(collection.get_absolute_url()).content.decode()
    assert "0/3" in html and "¥33.34" in html and "KTV night" in html
    assert client.get(page(community, "collections")).status_code == 200


@pytest.mark.parametrize("fields, error_field", [
    ({"amount": "１２"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"amount": "0.02"}, "amount"),  # 3 participants: less than a cent each
    ({"title": ""}, "title"),
    ({"participant": []}, "participants"),
    ({"participant": ["abc"]}, "participants"),
])
def test_new_collection_form_errors_are_shown_next_to_the_field(client, community, owner, member, admin_member,
                                                               fields, error_field):
    client.force_login(owner.user)
    data = {"token": "t1", "title": "Lunch", "split": "even", "amount": "30",
            "participant": [owner.user_id, member.user_id, admin_member.user_id], **fields}
    response = client.post(page(community, "collection_new"), data)
    assert response.status_code == 400
    assert f'data-field="{error_field}"' in response.content.decode()
    assert not Collection.objects.exists()


def test_a_nul_character_is_refused_without_a_500(client, community, owner, member):
    client.force_login(owner.user)
    response = client.post(page(community, "collection_new"), {
        "token": "t1", "title": "bad\x00", "split": "even", "amount": "30", "participant": [member.user_id]})
    assert response.status_code == 400
    assert not Collection.objects.exists()


def test_member_search_is_bounded(client, community, owner):
    friends(community, 3)
    client.force_login(owner.user)
    response = client.get(page(community, "collection_new") + "?q=Friend 1")
    assert [m.user.display_name for m in response.context["members"]] == ["Friend 1"]


def test_paying_for_someone_on_the_collection_page(client, community, owner, member, admin_member):
    top_up(owner, member, "100")
    collection = create(owner, [member, admin_member], total="40.00")
    theirs = collection.shares.get(participant=admin_member.user)
    client.force_login(member.user)
    html = client.get(collection.get_absolute_url()).content.decode()
    assert f"Pay for {admin_member.user.display_name}" in html or "data-pay-for" in html
    response = client.post(page(community, "collection_pay", pk=collection.pk, share_pk=theirs.pk), {"method": "wallet"})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "paid" and theirs.paid_by_id == member.user_id
    assert balance(member) == Decimal("80.00")
    # A second tap: nothing more is paid, a message says why.
    client.post(page(community, "collection_pay", pk=collection.pk, share_pk=theirs.pk), {"method": "wallet"})
    assert balance(member) == Decimal("80.00")
    html = client.get(collection.get_absolute_url()).content.decode()
    assert "data-paid-by" in html


def test_organizer_actions_on_the_page(client, community, owner, member):
    collection = create(owner, [member], total="10.00")
    share = collection.shares.get()
    client.force_login(member.user)
    client.post(page(community, "collection_pay", pk=collection.pk, share_pk=share.pk),
                {"method": "transfer", "reference": "wx"})
    assert client.post(page(community, "collection_close", pk=collection.pk), {"outcome": "kept"}).status_code == 302
    assert Collection.objects.get().status == "open"  # a participant cannot close it
    client.force_login(owner.user)
    html = client.get(collection.get_absolute_url()).content.decode()
    assert "data-pending" in html
    client.post(page(community, "collection_confirm", pk=collection.pk, share_pk=share.pk))
    collection.refresh_from_db()
    assert collection.status == "completed"


def test_close_and_remind_from_the_page(client, community, owner, member):
    collection = create(owner, [member], total="10.00")
    client.force_login(owner.user)
    client.post(page(community, "collection_remind", pk=collection.pk))
    collection.refresh_from_db()
    assert collection.reminded_at is not None
    client.post(page(community, "collection_close", pk=collection.pk), {"outcome": "refunded"})
    collection.refresh_from_db()
    assert (collection.status, collection.outcome) == ("closed", "refunded")


def test_strangers_get_404_on_member_pages(client, community, owner, member, leader):
    collection = create(owner, [member])
    share = collection.shares.get()
    client.force_login(leader.user)
    assert client.get(collection.get_absolute_url()).status_code == 404
    assert client.post(page(community, "collection_pay", pk=collection.pk, share_pk=share.pk),
                       {"method": "wallet"}).status_code == 404
    other = MembershipFactory(community=CommunityFactory(), role="owner")
    client.force_login(other.user)
    assert client.get(collection.get_absolute_url()).status_code == 404
    assert client.get(reverse("crowdfunding:collection", kwargs={"slug": other.community.slug,
                                                                  "pk": collection.pk})).status_code == 404


def test_console_list_and_detail_for_owners_and_admins(client, community, owner, admin_member, leader, member):
    top_up(owner, member, "20")
    collection = create(member, [member, leader], total="30.00", title="Picnic")
    from crowdfunding import collections
    collections.share_pay_with_wallet(payer=member, share=collection.shares.get(participant=member.user))
    list_url = reverse("crowdfunding_console:collections", kwargs={"slug": community.slug})
    detail_url = reverse("crowdfunding_console:collection", kwargs={"slug": community.slug, "pk": collection.pk})
    client.force_login(admin_member.user)
    html = client.get(list_url).content.decode()
    assert "Picnic" in html and "1/2" in html and "¥15.00" in html
    html = client.get(detail_url).content.decode()
    assert leader.user.display_name in html and "data-share" in html
    assert client.get(list_url + "?status=bogus&q=%E2%80%8B&page=xyz").status_code == 200
    client.force_login(leader.user)
    assert client.get(list_url).status_code == 403
    assert client.get(detail_url).status_code == 403
    other = MembershipFactory(community=CommunityFactory(), role="owner")
    client.force_login(other.user)
    assert client.get(detail_url).status_code == 404
    assert client.get(reverse("crowdfunding_console:collection",
                              kwargs={"slug": other.community.slug, "pk": collection.pk})).status_code == 404
    client.force_login(owner.user)
    close = reverse("crowdfunding_console:collection_close", kwargs={"slug": community.slug, "pk": collection.pk})
    assert client.post(close, {"outcome": "refunded"}).status_code == 302
    collection.refresh_from_db()
    assert collection.status == "closed" and balance(member) == Decimal("20.00")
    from core.models import Notification
    told = Notification.objects.get(recipient=member.user, dedupe_key=f"collection_closed:{collection.pk}:organizer")
    assert owner.user.display_name in told.body


def test_audit_entries_read_as_sentences(community, owner, member):
    register_audit_sentences(SENTENCES)
    top_up(owner, member, "20")
    collection = create(owner, [member], total="12.5", title="Cake")
    from crowdfunding import collections
    collections.share_pay_with_wallet(payer=member, share=collection.shares.get())
    sentences = [audit_sentence(e) for e in AuditLog.objects.filter(action__startswith="collection.")
                 .order_by("pk")]
    assert any("Cake" in s and "12.50" in s for s in sentences), sentences
    assert len(sentences) == 3  # created, share paid, completed


def test_the_community_home_lists_my_open_split_bills(client, member, admin_member, owner):
    from django.urls import reverse

    from crowdfunding import collections

    bill = collections.collection_create(organizer=admin_member, title="Hotpot AA", split="even", total="90.00",
                                         participant_ids=[admin_member.user_id, member.user_id],
                                         idempotency_key="home")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(member.user)
    page = client.get(reverse("communities:home", args=[member.community.slug])).content.decode()
    assert "Hotpot AA" in page and bill.get_absolute_url() in page
    client.force_login(owner.user)  # not taking part: not on their home
    assert "Hotpot AA" not in client.get(reverse("communities:home", args=[member.community.slug])).content.decode()
