"""The split-bill collections API: shapes, idempotency, who may read and act, bad input."""

from decimal import Decimal

import pytest

from crowdfunding import collections
from crowdfunding.models import Collection
from payments.models import WalletEntry
from tests.crowdfunding.collection_helpers import balance, create, friends, top_up
from tests.factories import CommunityFactory, MembershipFactory


def base(community):
    return f"/api/v1/communities/{community.slug}/collections/"


def body(*people, **extra):
    return {"title": "Hotpot", "split": "even", "total": "100.00", "participant_ids": [p.user_id for p in people],
            **extra}


def assert_error(response, status, code=None, field=None):
    assert response.status_code == status, response.content
    data = response.json()
    assert set(data) == {"code", "message", "fields"} and data["message"]
    if code:
        assert data["code"] == code, data
    if field:
        assert field in data["fields"], data
    return data


def test_create_read_and_list(api_as, community, owner, member, admin_member):
    client = api_as(owner.user)
    response = client.post(base(community), body(owner, member, admin_member), format="json",
                           HTTP_IDEMPOTENCY_KEY="abc")
    assert response.status_code == 201, response.content
    data = response.json()
    assert [s["amount"] for s in data["shares"]] == ["33.34", "33.33", "33.33"]
    assert (data["total"], data["status"], data["paid_count"], data["share_count"], data["collected"]) == (
        "100.00", "open", 0, 3, "0.00")
    assert data["shares"][1]["participant"] == {"id": member.user_id, "display_name": member.user.display_name}
    # A retry with the same key and body replays the answer and creates nothing.
    again = client.post(base(community), body(owner, member, admin_member), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and again.json()["id"] == data["id"]
    assert Collection.objects.count() == 1
    assert_error(client.post(base(community), body(owner, member, total="5"), format="json",
                             HTTP_IDEMPOTENCY_KEY="abc"), 422, "idempotency_key_reused")
    # Participants see it in their list and can read it.
    listed = api_as(member.user).get(base(community)).json()
    assert [c["id"] for c in listed["results"]] == [data["id"]]
    assert api_as(member.user).get(f"{base(community)}{data['id']}/").json()["title"] == "Hotpot"


def test_pay_own_share_and_for_someone_else(api_as, community, owner, member, admin_member):
    top_up(owner, member, "100")
    collection = create(owner, [member, admin_member], total="50.00")
    mine = collection.shares.get(participant=member.user)
    theirs = collection.shares.get(participant=admin_member.user)
    client = api_as(member.user)
    url = f"{base(community)}{collection.pk}/shares/"
    response = client.post(f"{url}{mine.pk}/pay/", {"method": "wallet"}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert response.status_code == 200 and response.json()["paid_count"] == 1
    replay = client.post(f"{url}{mine.pk}/pay/", {"method": "wallet"}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert_error(client.post(f"{url}{mine.pk}/pay/", {"method": "wallet"}, format="json"), 409, "already_paid")
    response = client.post(f"{url}{theirs.pk}/pay/", {"method": "wallet"}, format="json")  # 代付
    data = response.json()
    assert data["status"] == "completed" and data["collected"] == "50.00"
    paid_for = next(s for s in data["shares"] if s["id"] == theirs.pk)
    assert paid_for["paid_by"]["id"] == member.user_id and paid_for["status"] == "paid"
    assert balance(member) == Decimal("50.00")
    assert WalletEntry.objects.filter(kind="payment").count() == 2


def test_transfer_confirm_decline_remind_close(api_as, community, owner, member, admin_member):
    collection = create(owner, [member, admin_member], total="20.00")
    share = collection.shares.get(participant=member.user)
    url = f"{base(community)}{collection.pk}/"
    member_client, owner_client = api_as(member.user), api_as(owner.user)
    reported = member_client.post(f"{url}shares/{share.pk}/pay/", {"method": "transfer", "reference": "WX 88"},
                                  format="json").json()
    assert next(s for s in reported["shares"] if s["id"] == share.pk)["transfer_reported"] is True
    assert_error(member_client.post(f"{url}shares/{share.pk}/confirm/"), 403, "not_organizer")
    assert owner_client.post(f"{url}shares/{share.pk}/decline/").status_code == 200
    assert_error(owner_client.post(f"{url}shares/{share.pk}/decline/"), 409, "no_report")
    member_client.post(f"{url}shares/{share.pk}/pay/", {"method": "transfer"}, format="json")
    confirmed = owner_client.post(f"{url}shares/{share.pk}/confirm/").json()
    assert confirmed["paid_count"] == 1
    assert owner_client.post(f"{url}remind/").json() == {"reminded": 1}
    assert_error(owner_client.post(f"{url}remind/"), 409, "reminded_recently")
    assert_error(member_client.post(f"{url}remind/"), 403)
    assert_error(member_client.post(f"{url}close/", {"outcome": "kept"}, format="json"), 403)
    assert_error(owner_client.post(f"{url}close/", {"outcome": "burn"}, format="json"), 400, field="outcome")
    closed = owner_client.post(f"{url}close/", {"outcome": "refunded"}, format="json").json()
    assert (closed["status"], closed["outcome"]) == ("closed", "refunded")
    assert [s["status"] for s in closed["shares"]] == ["refunded", "waived"]
    assert_error(owner_client.post(f"{url}close/", {"outcome": "kept"}, format="json"), 409, "collection_closed")


def test_strangers_and_other_communities_get_404(api_as, community, owner, member, leader):
    collection = create(owner, [member])
    share = collection.shares.get()
    url = f"{base(community)}{collection.pk}/"
    top_up(owner, leader, "50")
    leader_client = api_as(leader.user)  # a member of the community, not taking part
    assert_error(leader_client.get(url), 404)
    assert_error(leader_client.post(f"{url}shares/{share.pk}/pay/", {"method": "wallet"}, format="json"), 404)
    assert_error(leader_client.post(f"{url}close/", {"outcome": "kept"}, format="json"), 404)
    assert leader_client.get(base(community)).json()["results"] == []
    other = CommunityFactory()
    stranger = MembershipFactory(community=other, role="owner")
    assert_error(api_as(stranger.user).get(url), 404)
    # Their own community's URL with our collection's id: not found either.
    assert_error(api_as(stranger.user).get(f"{base(other)}{collection.pk}/"), 404)
    assert_error(api_as(stranger.user).get(f"/api/v1/communities/{other.slug}/admin/collections/{collection.pk}/"),
                 404)
    # A share id of another collection under this collection's URL.
    second = create(owner, [leader])
    assert_error(api_as(member.user).post(f"{url}shares/{second.shares.get().pk}/pay/", {"method": "wallet"},
                                          format="json"), 404)
    assert balance(leader) == Decimal("50")


def test_admin_list_for_owners_and_admins_only(api_as, community, owner, admin_member, leader, member):
    create(member, [member, leader])
    url = f"/api/v1/communities/{community.slug}/admin/collections/"
    assert len(api_as(owner.user).get(url).json()["results"]) == 1
    assert len(api_as(admin_member.user).get(url).json()["results"]) == 1
    assert_error(api_as(leader.user).get(url), 403)
    assert_error(api_as(member.user).get(url), 403)


@pytest.mark.parametrize("change, field", [
    ({"title": "a\x00b"}, "title"),
    ({"title": "x" * 500}, "title"),
    ({"title": ""}, "title"),
    ({"description": "y" * 5000}, "description"),
    ({"total": "１２"}, "total"),
    ({"total": "0"}, "total"),
    ({"total": "-1"}, "total"),
    ({"total": "1" * 50}, "total"),
    ({"total": "0.05"}, "total"),
    ({"split": "thirds"}, "split"),
    ({"split": "per_head", "per_head": ""}, "per_head"),
    ({"participant_ids": []}, "participant_ids"),
    ({"participant_ids": "1,2"}, "participant_ids"),
    ({"participant_ids": ["٣"]}, "participant_ids.0"),
    ({"participant_ids": [2**70]}, "participant_ids.0"),
])
def test_bad_input_is_a_400_on_the_field(api_as, community, owner, member, change, field):
    people = friends(community, 6)
    data = body(*people, **change)
    assert_error(api_as(owner.user).post(base(community), data, format="json"), 400, field=field)
    assert not Collection.objects.exists()


def test_201_participants_duplicates_and_other_communitys_members_are_refused(api_as, community, owner, member):
    people = friends(community, 201)
    client = api_as(owner.user)
    assert_error(client.post(base(community), body(*people, total="500"), format="json"), 400,
                 field="participant_ids")
    assert_error(client.post(base(community), body(member, member), format="json"), 400, field="participant_ids")
    outsider = MembershipFactory(community=CommunityFactory())
    assert_error(client.post(base(community), body(member, outsider), format="json"), 400, field="participant_ids")
    assert_error(client.post(base(community), {"title": "x"}, format="json"), 400)
    assert_error(client.post(base(community), "not json", content_type="application/json"), 400)
    assert not Collection.objects.exists()


def test_pay_input_is_checked(api_as, community, owner, member):
    collection = create(owner, [member])
    url = f"{base(community)}{collection.pk}/shares/{collection.shares.get().pk}/pay/"
    client = api_as(member.user)
    assert_error(client.post(url, {"method": "cash"}, format="json"), 400, field="method")
    assert_error(client.post(url, {"method": "transfer", "reference": "r" * 101}, format="json"), 400,
                 field="reference")
    assert_error(client.post(url, {"method": "wallet"}, format="json"), 409, "insufficient_balance")
    assert client.get(f"{base(community)}99999999999/").status_code == 404


def test_the_organizer_can_close_via_the_admin_endpoint_only_if_admin(api_as, community, owner, member, leader):
    collection = create(member, [member, leader])
    url = f"/api/v1/communities/{community.slug}/admin/collections/{collection.pk}/close/"
    assert_error(api_as(leader.user).post(url, {"outcome": "kept"}, format="json"), 403)
    assert api_as(owner.user).post(url, {"outcome": "kept"}, format="json").json()["status"] == "closed"
    assert collections.collection_close  # the same service the organizer's endpoint calls
