"""Races on PostgreSQL with real threads: a share is paid once, whoever taps at the same moment."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from communities.models import Membership, Role
from core.exceptions import Conflict
from crowdfunding import collections
from crowdfunding.models import Collection, CollectionShare
from payments import services as payments
from payments.models import Payment, WalletEntry
from tests.concurrency import run_at_once
from tests.factories import CommunityFactory, MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def membership(community, role=Role.MEMBER):
    created = MembershipFactory(community=community, role=role)
    return Membership.objects.select_related("community", "user", "branch").get(pk=created.pk)


def setup(n_payers):
    community = CommunityFactory()
    owner = membership(community, Role.OWNER)
    participant = membership(community)
    payers = [membership(community) for _ in range(n_payers)]
    for m in [participant, *payers]:
        payments.wallet_top_up(actor=owner, member_user=m.user, amount="100")
    collection = collections.collection_create(
        organizer=owner, title="Boat trip", split="even", total="60.00",
        participant_ids=[participant.user_id, *[p.user_id for p in payers]], idempotency_key="trip")
    return community, owner, participant, payers, collection


def test_two_people_paying_the_same_share_at_once_pay_it_once():
    community, owner, participant, payers, collection = setup(1)
    share = CollectionShare.objects.get(collection=collection, participant=participant.user)
    # The participant and a friend (代付) tap "pay" on the same share at the same moment.
    who = [participant, payers[0]]
    results = run_at_once(2, lambda i: collections.share_pay_with_wallet(
        payer=who[i], share=CollectionShare.objects.get(pk=share.pk)))

    won = [r for r in results if isinstance(r, CollectionShare)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict) and lost[0].code in ("already_paid", "not_payable"), lost
    share.refresh_from_db()
    assert share.status == "paid"
    assert Payment.objects.filter(charge=share.charge, status="succeeded").count() == 1
    debits = WalletEntry.objects.filter(charge=share.charge, kind="payment")
    assert debits.count() == 1 and debits.get().amount == -share.amount
    payer = share.paid_by_id
    balances = {m.user_id: community.wallets.get(member_id=m.user_id).balance for m in who}
    assert balances[payer] == Decimal("70.00")
    assert sum(balances.values()) == Decimal("170.00")


def test_double_tap_over_http_debits_once_and_the_other_gets_409():
    community, owner, participant, payers, collection = setup(0)
    share = collection.shares.get()
    url = f"/api/v1/communities/{community.slug}/collections/{collection.pk}/shares/{share.pk}/pay/"

    def tap(i):
        client = APIClient()
        client.force_authenticate(participant.user)
        return client.post(url, {"method": "wallet"}, format="json")

    responses = run_at_once(2, tap)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [(r.status_code, r.json()) for r in responses]
    conflict = next(r for r in responses if r.status_code == 409).json()
    assert conflict["code"] in ("already_paid", "collection_closed") and conflict["message"]
    assert WalletEntry.objects.filter(charge=share.charge, kind="payment").count() == 1
    assert community.wallets.get(member=participant.user).balance == Decimal("40.00")
    assert Collection.objects.get(pk=collection.pk).status == "completed"


def test_paying_the_last_shares_at_once_completes_the_collection_once():
    community, owner, participant, payers, collection = setup(3)
    everyone = [participant, *payers]
    results = run_at_once(4, lambda i: collections.share_pay_with_wallet(
        payer=everyone[i], share=CollectionShare.objects.get(collection=collection, participant=everyone[i].user)))
    assert all(isinstance(r, CollectionShare) for r in results), results
    collection.refresh_from_db()
    assert collection.status == "completed"
    from core.models import AuditLog, Notification
    assert AuditLog.objects.filter(action="collection.completed", object_id=collection.pk).count() == 1
    assert Notification.objects.filter(kind="collection_completed").count() == 1


def test_closing_while_someone_pays_leaves_a_consistent_outcome():
    community, owner, participant, payers, collection = setup(1)
    share = CollectionShare.objects.get(collection=collection, participant=participant.user)

    def work(i):
        if i == 0:
            return collections.share_pay_with_wallet(payer=participant, share=CollectionShare.objects.get(pk=share.pk))
        return collections.collection_close(actor=owner, collection=Collection.objects.get(pk=collection.pk),
                                            outcome="refunded")

    run_at_once(2, work)
    share.refresh_from_db()
    balance = community.wallets.get(member=participant.user).balance
    # Either paid then refunded by the close, or waived before it was paid: never charged for nothing.
    assert (share.status, balance) in (("refunded", Decimal("100.00")), ("waived", Decimal("100.00")))
    assert Collection.objects.get(pk=collection.pk).status == "closed"
