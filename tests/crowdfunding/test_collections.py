"""Split-bill collections (AA收款): shares that add up, paying (own share, 代付, transfer), closing
kept or refunded, completion, reminders and the reminder sweep."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from core.models import AuditLog, Notification
from core.sweeps import sweep_run
from crowdfunding import collection_sweeps  # noqa: F401  (registers the sweep, as crowdfunding/sweeps.py will)
from crowdfunding import collections
from crowdfunding.models import Collection, CollectionShare
from payments.models import Charge, Refund, WalletEntry
from tests.crowdfunding.collection_helpers import balance, create, friends, top_up
from tests.factories import CommunityFactory, MembershipFactory

D = Decimal


# Splitting ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("total, n, expected", [
    ("100.00", 3, ["33.34", "33.33", "33.33"]),
    ("0.07", 7, ["0.01"] * 7),
    ("10.00", 4, ["2.50"] * 4),
    ("0.10", 3, ["0.04", "0.03", "0.03"]),
    ("1000000.00", 7, ["142857.15"] * 2 + ["142857.14"] * 5),
])
def test_even_split_differs_by_a_cent_at_most_and_adds_up_exactly(total, n, expected):
    shares = collections.split_evenly(D(total), n)
    assert shares == [D(x) for x in expected]
    assert sum(shares) == D(total)


def test_a_collection_of_100_over_3_has_shares_that_sum_to_the_total(owner, member, admin_member):
    collection = create(owner, [owner, member, admin_member], total="100.00")
    shares = list(collection.shares.order_by("position"))
    assert [s.amount for s in shares] == [D("33.34"), D("33.33"), D("33.33")]
    assert sum(s.amount for s in shares) == collection.total == D("100.00")
    # Each share is a charge owed by its participant, described by the collection's title.
    for share in shares:
        assert share.charge.member_id == share.participant_id
        assert (share.charge.purpose, share.charge.description, share.charge.amount) == ("share", "Hotpot dinner",
                                                                                         share.amount)
    assert collection.remind_at == collection.created_at + timedelta(hours=24) or \
        abs(collection.remind_at - collection.created_at - timedelta(hours=24)) < timedelta(seconds=5)


def test_seven_cents_over_seven_people_is_a_cent_each_and_five_cents_is_refused(owner, community):
    people = friends(community, 7)
    collection = create(owner, people, total="0.07")
    assert set(collection.shares.values_list("amount", flat=True)) == {D("0.01")}
    with pytest.raises(ValidationFailed) as caught:
        create(owner, people, total="0.05")
    assert caught.value.code == "total_too_small"
    assert "total" in caught.value.fields
    assert Collection.objects.count() == 1


def test_per_head_total_is_per_head_times_participants(owner, member, admin_member):
    collection = create(owner, [member, admin_member], split="per_head", per_head="35.50")
    assert collection.total == D("71.00")
    assert collection.per_head == D("35.50")
    assert set(collection.shares.values_list("amount", flat=True)) == {D("35.50")}


@pytest.mark.parametrize("amount, field", [
    ("0", "total"), ("-5", "total"), ("１２", "total"), ("12.345", "total"), ("1e3", "total"), ("", "total"),
    ("abc", "total"), ("99999999", "total"), ("NaN", "total"),
])
def test_bad_amounts_are_field_errors(owner, member, amount, field):
    with pytest.raises(ValidationFailed) as caught:
        create(owner, [member], total=amount)
    assert field in caught.value.fields


def test_bad_participants_and_texts_are_refused(owner, member, community):
    other_community = CommunityFactory()
    stranger = MembershipFactory(community=other_community)
    left = MembershipFactory(community=community, status="left")
    cases = [
        dict(participant_ids=[]),
        dict(participant_ids=[member.user_id, member.user_id]),
        dict(participant_ids=[stranger.user_id]),
        dict(participant_ids=[left.user_id]),
        dict(participant_ids=[member.user_id] + list(range(10**9, 10**9 + 200))),
        dict(participant_ids=["1"]),
        dict(participant_ids=[True]),
    ]
    for case in cases:
        with pytest.raises(ValidationFailed) as caught:
            collections.collection_create(organizer=owner, title="T", split="even", total="10",
                                          idempotency_key="x", **case)
        assert "participant_ids" in caught.value.fields, case
    for title, field in [("bad\x00title", "title"), ("x" * 121, "title"), ("   ", "title")]:
        with pytest.raises(ValidationFailed) as caught:
            collections.collection_create(organizer=owner, title=title, split="even", total="10",
                                          participant_ids=[member.user_id], idempotency_key="y")
        assert field in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        collections.collection_create(organizer=owner, title="T", description="d" * 1001, split="even", total="10",
                                      participant_ids=[member.user_id], idempotency_key="z")
    assert "description" in caught.value.fields
    with pytest.raises(ValidationFailed):
        collections.collection_create(organizer=owner, title="T", split="thirds", total="10",
                                      participant_ids=[member.user_id], idempotency_key="w")
    assert not Collection.objects.exists() and not Charge.objects.exists()


def test_two_hundred_participants_are_fine_and_201_are_refused(owner, community):
    people = friends(community, 201)
    with pytest.raises(ValidationFailed) as caught:
        create(owner, people, total="201.00")
    assert "participant_ids" in caught.value.fields
    collection = create(owner, people[:200], total="100.00")
    assert collection.shares.count() == 200
    assert sum(collection.shares.values_list("amount", flat=True)) == D("100.00")


def test_the_same_key_returns_the_same_collection_and_another_request_with_it_is_refused(owner, member):
    first = create(owner, [member], key="same", total="20")
    again = create(owner, [member], key="same", total="20")
    assert again.pk == first.pk and Collection.objects.count() == 1
    with pytest.raises(Unprocessable):
        create(owner, [member], key="same", total="30")


def test_participants_are_told_they_were_added_but_not_the_organizer(owner, member, admin_member):
    collection = create(owner, [owner, member, admin_member])
    told = set(Notification.objects.filter(kind="collection_added").values_list("recipient_id", flat=True))
    assert told == {member.user_id, admin_member.user_id}
    assert AuditLog.objects.filter(action="collection.created", object_id=collection.pk).exists()


# Paying ------------------------------------------------------------------------------------------

def test_paying_my_share_from_the_wallet(owner, member, admin_member):
    top_up(owner, member, "50")
    collection = create(owner, [member, admin_member], total="60.00")
    share = collection.shares.get(participant=member.user)
    collections.share_pay_with_wallet(payer=member, share=share)
    share.refresh_from_db()
    assert share.status == "paid" and share.paid_by_id == member.user_id
    assert balance(member) == D("20.00")
    assert Notification.objects.filter(recipient=member.user, kind="collection_paid").exists()
    # A second tap pays nothing more.
    with pytest.raises(Conflict) as caught:
        collections.share_pay_with_wallet(payer=member, share=share)
    assert caught.value.code == "already_paid"
    assert balance(member) == D("20.00")
    assert collection.shares.filter(status="paid").count() == 1
    collection.refresh_from_db()
    assert collection.status == "open"


def test_short_balance_is_a_clear_conflict_and_nothing_changes(owner, member):
    top_up(owner, member, "5")
    collection = create(owner, [member], total="10.00")
    share = collection.shares.get()
    with pytest.raises(Conflict) as caught:
        collections.share_pay_with_wallet(payer=member, share=share)
    assert caught.value.code == "insufficient_balance"
    share.refresh_from_db()
    assert share.status == "unpaid" and balance(member) == D("5")


def test_paying_for_someone_else_debits_the_payer_and_tells_both(owner, member, admin_member):
    top_up(owner, admin_member, "100")
    collection = create(owner, [member, admin_member], total="60.00")
    share = collection.shares.get(participant=member.user)
    collections.share_pay_with_wallet(payer=admin_member, share=share)
    share.refresh_from_db()
    assert share.status == "paid" and share.paid_by_id == admin_member.user_id
    assert balance(admin_member) == D("70.00") and balance(member) == D("0")
    assert share.charge.member_id == admin_member.user_id  # 代付: the charge is the payer's now
    participant_notice = Notification.objects.get(recipient=member.user, kind="collection_paid")
    assert admin_member.user.display_name in participant_notice.title
    assert Notification.objects.filter(recipient=admin_member.user, kind="collection_paid").exists()


def test_the_last_share_paid_completes_the_collection_and_tells_the_organizer(owner, member, admin_member):
    top_up(owner, member, "100")
    collection = create(owner, [owner, member], total="30.00")
    for share in collection.shares.all():
        collections.share_pay_with_wallet(payer=member, share=share)  # the member pays for the organizer too
    collection.refresh_from_db()
    assert collection.status == "completed" and collection.closed_at is not None and collection.remind_at is None
    assert Notification.objects.filter(recipient=owner.user, kind="collection_completed").count() == 1
    assert AuditLog.objects.filter(action="collection.completed", object_id=collection.pk).exists()
    assert balance(member) == D("70.00")


def test_outsiders_cannot_pay_or_manage(owner, member, admin_member, leader, community):
    top_up(owner, leader, "100")
    collection = create(owner, [member, admin_member])
    share = collection.shares.get(participant=member.user)
    with pytest.raises(NotFound):  # not a participant: the collection does not exist for them
        collections.share_pay_with_wallet(payer=leader, share=share)
    with pytest.raises(NotFound):
        collections.collection_remind(actor=leader, collection=collection)
    with pytest.raises(Forbidden):  # a participant, not the organizer
        collections.collection_close(actor=member, collection=collection, outcome="kept")
    with pytest.raises(Forbidden):
        collections.collection_remind(actor=member, collection=collection)
    other = MembershipFactory(community=CommunityFactory(), role="owner")
    with pytest.raises(NotFound):
        collections.collection_close(actor=other, collection=collection, outcome="kept")
    with pytest.raises(NotFound):
        collections.share_pay_with_wallet(payer=other, share=share)
    assert balance(leader) == D("100")


# Transfers ---------------------------------------------------------------------------------------

def test_a_reported_transfer_is_confirmed_by_the_organizer(owner, member):
    collection = create(owner, [member], total="25.00")
    share = collection.shares.get()
    collections.share_report_transfer(payer=member, share=share, reference="WeChat 1234")
    assert Notification.objects.filter(recipient=owner.user, kind="collection_transfer").exists()
    with pytest.raises(Forbidden):
        collections.share_confirm_transfer(organizer=member, share=share)
    collections.share_confirm_transfer(organizer=owner, share=share)
    share.refresh_from_db()
    collection.refresh_from_db()
    assert share.status == "paid" and share.paid_by_id == member.user_id
    assert collection.status == "completed"
    with pytest.raises(Conflict):
        collections.share_confirm_transfer(organizer=owner, share=share)


def test_a_declined_transfer_leaves_the_share_unpaid_and_tells_the_payer(owner, member, admin_member):
    collection = create(admin_member, [member, owner], total="20.00")
    share = collection.shares.get(participant=member.user)
    collections.share_report_transfer(payer=member, share=share)
    with pytest.raises(Conflict) as caught:  # a transfer waits: the wallet does not pay on top of it
        collections.share_pay_with_wallet(payer=member, share=share)
    assert caught.value.code in ("transfer_reported", "not_payable")
    collections.share_decline_transfer(organizer=owner, share=share)  # an owner may decline too
    share.refresh_from_db()
    assert share.status == "unpaid"
    assert Notification.objects.filter(recipient=member.user, kind="transfer_declined").exists()
    with pytest.raises(Conflict):
        collections.share_decline_transfer(organizer=admin_member, share=share)


def test_a_transfer_confirmed_after_close_is_recorded_and_owed_back(owner, member):
    collection = create(owner, [member, owner], total="20.00")
    share = collection.shares.get(participant=member.user)
    collections.share_report_transfer(payer=member, share=share)
    collections.collection_close(actor=owner, collection=collection, outcome="kept")
    share.refresh_from_db()
    assert share.status == "waived"
    collections.share_confirm_transfer(organizer=owner, share=share)
    share.refresh_from_db()
    refund = Refund.objects.get(charge=share.charge)
    assert (refund.reason, refund.status, refund.amount) == ("arrived_too_late", "to_pay_back", D("10.00"))
    assert share.status == "refunded"
    assert Notification.objects.filter(recipient=member.user, kind="refund_owed").exists()


# Closing -----------------------------------------------------------------------------------------

def test_close_kept_waives_unpaid_shares_and_keeps_what_was_paid(owner, member, admin_member):
    top_up(owner, member, "50")
    collection = create(owner, [member, admin_member], total="40.00")
    paid = collection.shares.get(participant=member.user)
    collections.share_pay_with_wallet(payer=member, share=paid)
    collections.collection_close(actor=owner, collection=collection, outcome="kept")
    collection.refresh_from_db()
    assert (collection.status, collection.outcome) == ("closed", "kept") and collection.closed_at
    assert dict(collection.shares.values_list("participant_id", "status")) == {
        member.user_id: "paid", admin_member.user_id: "waived"}
    unpaid = collection.shares.get(participant=admin_member.user)
    assert unpaid.charge.status == Charge.Status.CANCELLED
    assert balance(member) == D("30.00") and not Refund.objects.exists()
    with pytest.raises(Conflict):
        collections.collection_close(actor=owner, collection=collection, outcome="refunded")
    with pytest.raises(Conflict) as caught:
        collections.share_pay_with_wallet(payer=admin_member, share=unpaid)
    assert caught.value.code == "collection_closed"
    assert AuditLog.objects.filter(action="collection.closed", object_id=collection.pk).exists()


def test_close_refunded_pays_back_whoever_paid_once(owner, member, admin_member, leader):
    top_up(owner, member, "50")
    top_up(owner, leader, "50")
    collection = create(owner, [member, admin_member, leader], total="30.00")
    own = collection.shares.get(participant=member.user)
    other = collection.shares.get(participant=admin_member.user)
    collections.share_pay_with_wallet(payer=member, share=own)
    collections.share_pay_with_wallet(payer=leader, share=other)  # 代付
    assert balance(leader) == D("40.00")
    collections.collection_close(actor=admin_member, collection=collection, outcome="refunded")  # an admin may
    assert balance(member) == D("50.00") and balance(leader) == D("50.00") and balance(admin_member) == D("0")
    assert set(Refund.objects.values_list("key", flat=True)) == {
        f"collection_refunded:share:{own.pk}", f"collection_refunded:share:{other.pk}"}
    assert set(Refund.objects.values_list("reason", flat=True)) == {"collection_refunded"}
    assert dict(collection.shares.values_list("participant_id", "status")) == {
        member.user_id: "refunded", admin_member.user_id: "refunded", leader.user_id: "waived"}
    assert WalletEntry.objects.filter(kind="refund").count() == 2
    assert Notification.objects.filter(recipient=leader.user, kind="refund_paid").exists()


def test_close_needs_a_known_outcome(owner, member):
    collection = create(owner, [member])
    with pytest.raises(ValidationFailed):
        collections.collection_close(actor=owner, collection=collection, outcome="burn")
    collection.refresh_from_db()
    assert collection.status == "open"


# Reminders ---------------------------------------------------------------------------------------

def test_the_organizer_reminds_unpaid_participants_at_most_once_an_hour(owner, member, admin_member):
    top_up(owner, member, "50")
    collection = create(owner, [member, admin_member], total="20.00")
    collections.share_pay_with_wallet(payer=member, share=collection.shares.get(participant=member.user))
    assert collections.collection_remind(actor=owner, collection=collection) == 1
    assert list(Notification.objects.filter(kind="collection_reminder").values_list("recipient_id", flat=True)) == [
        admin_member.user_id]
    with pytest.raises(Conflict) as caught:
        collections.collection_remind(actor=owner, collection=collection)
    assert caught.value.code == "reminded_recently"
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert collections.collection_remind(actor=owner, collection=collection) == 1
    assert Notification.objects.filter(kind="collection_reminder").count() == 2


def test_the_sweep_reminds_once_a_day_after_creation_even_when_run_twice(owner, member, admin_member):
    collection = create(owner, [member, admin_member, owner], total="30.00")
    early = sweep_run("crowdfunding.remind_collections", now=timezone.now() + timedelta(hours=23))
    assert early.settled == 0 and not Notification.objects.filter(kind="collection_reminder").exists()
    later = timezone.now() + timedelta(hours=25)
    assert sweep_run("crowdfunding.remind_collections", now=later).settled == 1
    assert sweep_run("crowdfunding.remind_collections", now=later).settled == 0
    assert sweep_run("crowdfunding.remind_collections", now=later + timedelta(days=3)).settled == 0
    reminded = Notification.objects.filter(kind="collection_reminder")
    assert sorted(reminded.values_list("recipient_id", flat=True)) == sorted(
        [member.user_id, admin_member.user_id, owner.user_id])
    collection.refresh_from_db()
    assert collection.remind_at is None and collection.reminded_at == later


def test_the_sweep_skips_closed_collections(owner, member):
    collection = create(owner, [member])
    collections.collection_close(actor=owner, collection=collection, outcome="kept")
    assert sweep_run("crowdfunding.remind_collections", now=timezone.now() + timedelta(days=2)).settled == 0
    assert not Notification.objects.filter(kind="collection_reminder").exists()
