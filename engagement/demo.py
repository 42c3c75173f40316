"""Engagement demo for `make run`: an upcoming paid tasting that is full with 张三 on its waitlist, a
free online livestream he is going to (his ticket shows), and last week's tasting with check-ins
and a no-show. Everything goes through the services; returns False when already loaded.

The past event is made as any other, answered and checked in at its time; only its dates are
moved into the past (the one write here that skips a service: a demo cannot wait a week).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from communities.models import Membership
from engagement import events
from engagement.models import Event, RSVP


def load_engagement_demo(community) -> bool:
    if Event.objects.filter(community=community).exists():
        return False
    owner = Membership.objects.select_related("community", "user").get(community=community, role="owner")
    people = list(Membership.objects.select_related("community", "user", "branch")
                  .filter(community=community, status="active").exclude(role="owner").order_by("pk"))
    zhang = next((m for m in people if m.user.phone == "13800000003"), people[-1])
    others = [m for m in people if m.pk != zhang.pk]
    point = community.pickup_points.filter(is_active=True).order_by("pk").first()
    local_now = timezone.localtime(timezone.now())
    saturday = (local_now + timedelta(days=(5 - local_now.weekday()) % 7 or 7)).replace(
        hour=15, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        tasting = events.event_create(
            actor=owner, title="周六下午茶：明前龙井品鉴会", kind=Event.Kind.TASTING,
            description="团长老家的新茶到了，一起来尝尝。每人一杯龙井、一碟茶点，可以带一位家人。\n"
                        "名额有限，满了可以排队，有人取消会按顺序通知。",
            starts_at=saturday, ends_at=saturday + timedelta(hours=2), pickup_point=point,
            address="" if point else "阳光花园会所二楼", capacity=2, max_guests=1, price="20.00")
        events.event_publish(actor=owner, event=tasting)
        for member in others[:2]:
            rsvp = events.rsvp_create(membership=member, event=tasting)
            events.rsvp_pay_with_wallet(membership=member, rsvp=rsvp)
        events.rsvp_create(membership=zhang, event=tasting)  # full: 张三 waits first in line

        live = events.event_create(
            actor=owner, title="水果挑选直播：怎么挑到甜西瓜", kind=Event.Kind.LIVESTREAM,
            description="李团长在果园直播，教大家听声音、看纹路挑西瓜。直播链接报名后可见。",
            starts_at=saturday + timedelta(days=1, hours=5), ends_at=saturday + timedelta(days=1, hours=6),
            online_url="https://live.example.com/sunny-garden/watermelon")
        events.event_publish(actor=owner, event=live)
        for member in people:
            events.rsvp_create(membership=member, event=live)

        past_start = timezone.now() + timedelta(days=1)
        past = events.event_create(
            actor=owner, title="上周水果品鉴会：海南芒果", kind=Event.Kind.TASTING,
            description="六个品种的芒果盲品，大家投票选出下一次团购的品种。",
            starts_at=past_start, ends_at=past_start + timedelta(hours=2), pickup_point=point,
            address="" if point else "阳光花园会所二楼", capacity=20)
        events.event_publish(actor=owner, event=past)
        tickets = [events.rsvp_create(membership=member, event=past) for member in people]
    # Last week: the same event, moved back in time, with everyone but one checked in at the door.
    week_ago = timezone.now() - timedelta(days=7)
    Event.objects.filter(pk=past.pk).update(starts_at=week_ago, ends_at=week_ago + timedelta(hours=2),
                                            rsvp_deadline=week_ago)
    past.refresh_from_db()
    door = next((m for m in people if m.role == "leader"), owner)
    for rsvp in tickets[:-1]:
        events.ticket_check_in(actor=door, code=rsvp.ticket_code, event=past,
                               now=week_ago + timedelta(minutes=10))
    assert RSVP.objects.filter(event=past, checked_in_at__isnull=False).count() == len(tickets) - 1
    return True
