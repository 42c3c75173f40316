"""Engagement demo for `make run`: an upcoming paid tasting that is full with 张三 on its waitlist, a
free online livestream he is going to (his ticket shows), last week's tasting with check-ins and a
no-show, an open poll and a closed one, a pinned announcement and an article featuring the open
round with likes and a comment thread. Everything goes through the services; returns False when already loaded.

The past event is made as any other, answered and checked in at its time; only its dates are
moved into the past (the one write here that skips a service: a demo cannot wait a week).
"""

from datetime import timedelta
from decimal import Decimal

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
    _load_polls(owner, people)
    _load_posts(owner, people, zhang)
    _load_points(owner, zhang)
    _load_coupons(owner, zhang)
    _load_referral_and_prompt(owner, people, zhang)
    return True


def _load_referral_and_prompt(owner, people, zhang) -> None:
    """张三 invited a neighbour whose first order went through (rewarded), and he is due to buy
    again something he bought a while ago (the prompt goes out at the community's 10:00)."""
    from engagement.demo_referrals import seed_referral
    from engagement.demo_repurchase import seed_repurchase_due

    from engagement.models import Referral

    referred = set(Referral.objects.filter(community_id=owner.community_id).values_list("invitee_id", flat=True))
    invitee = next((m for m in people if m.pk != zhang.pk and m.user_id not in referred), None)
    if invitee is not None:
        seed_referral(owner.community, zhang, invitee)
    seed_repurchase_due(owner.community, zhang, send=True)


def _load_coupons(owner, zhang) -> None:
    """A welcome code for a member's first order, and a coupon handed to the community's fans
    (张三 among them) that he can use on the open round."""
    from orders import coupons

    now = timezone.now()
    coupons.coupon_save(actor=owner, code="WELCOME5", name="新人首单立减", kind="amount", amount_off=Decimal("5.00"),
                        min_spend=Decimal("30.00"), starts_at=now - timedelta(days=1),
                        ends_at=now + timedelta(days=60), new_members_only=True)
    fans = coupons.coupon_save(actor=owner, code="FANS10", name="铁粉专享券", kind="amount",
                               amount_off=Decimal("10.00"), min_spend=Decimal("50.00"),
                               starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=14),
                               handed_out_only=True)
    coupons.coupon_batch_hand_out(actor=owner, coupon=fans, member_ids=[zhang.user_id], segment="铁粉")
    # 积分兑换: a coupon members take for points.
    from engagement import points_shop

    treat = coupons.coupon_save(actor=owner, code="PTS3", name="积分兑换 3 元券", kind="amount",
                                amount_off=Decimal("3.00"), min_spend=Decimal("20.00"),
                                starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
                                handed_out_only=True)
    points_shop.reward_save(actor=owner, coupon_id=treat.pk, points=10, per_member_limit=2)


def _load_points(owner, zhang) -> None:
    """Levels named by the community, 张三 checked in the last three days, and the points of last
    week's tasting handed out (the outbox's handlers run here rather than waiting for the worker)."""
    from core.sweeps import sweep_run
    from engagement import levels, points

    levels.levels_set(actor=owner, levels=[("新人", 0), ("铁粉", 10), ("核心", 100)])
    now = timezone.now()
    for days_ago in (3, 2, 1):
        points.daily_check_in(membership=zhang, now=now - timedelta(days=days_ago))
    sweep_run("core.domain_events")


def _load_posts(owner, people, zhang) -> None:
    """A pinned announcement of the tasting, and an article (产品内容化) featuring the open round,
    liked and commented on, with a reply."""
    from engagement import posts
    from orders.models import GroupBuy

    notice = posts.post_create(
        actor=owner, kind="announcement", title="本周六下午茶品鉴会开放报名",
        summary="明前龙井品鉴会，每人 20 元含茶点，名额 2 位，满了可以排队。",
        body="各位邻居好！\n\n团长老家的**明前龙井**到了，周六下午三点在自提点办一场小小的品鉴会。\n\n"
             "- 每人一杯龙井、一碟茶点\n- 可以带一位家人\n- 满员后可以排队，有人取消会按顺序通知\n\n"
             "在「活动」里报名即可。")
    notice = posts.post_publish(actor=owner, post=notice)
    posts.post_pin(actor=owner, post=notice)
    article = posts.post_create(
        actor=owner, title="周末水果接龙：这批海南芒果为什么甜",
        summary="果园直采，树上熟透才摘。团长亲自去果园挑的，接龙满 20 份就发车。",
        body="## 从果园到楼下\n\n这批芒果来自海南三亚的合作果园，**树上熟透才摘**，"
             "冷链两天到自提点。\n\n## 怎么挑、怎么放\n\n1. 表皮有少许黑点是正常的糖分外渗\n"
             "2. 常温放两天更香，切开前冷藏一小时口感最好\n\n> 接龙满 20 份发车，越多越便宜（阶梯价）。")
    open_round = GroupBuy.objects.filter(community_id=owner.community_id, status="open", mode="normal").first()
    if open_round is not None:
        posts.post_feature_set(actor=owner, post=article, group_buy_ids=[open_round.pk])
    article = posts.post_publish(actor=owner, post=article)
    for member in people:
        posts.post_like(member=member, post=article)
    question, _created = posts.comment_add(member=zhang, post=article, body="芒果大概什么时候到货？周日能取吗？",
                                           idempotency_key="demo-comment-1")
    posts.comment_add(member=owner, post=article, parent=question, body="周六下午到，周日全天都能在自提点取。",
                      idempotency_key="demo-comment-2")


def _load_polls(owner, people) -> None:
    """An open poll on the next group-buy (results always visible, two votes in) and a closed one
    on last week's mangoes (results after closing)."""
    from engagement import polls

    next_fruit = polls.poll_create(
        actor=owner, question="下周接龙想团什么水果？", description="票数最多的两种，团长去果园谈价。",
        options=["阳山水蜜桃", "麒麟西瓜", "巨峰葡萄", "海南芒果"], multiple=True, max_choices=2,
        anonymous=False, closes_at=timezone.now() + timedelta(days=3))
    next_fruit = polls.poll_open(actor=owner, poll=next_fruit)
    options = list(next_fruit.options.order_by("position").values_list("pk", flat=True))
    for member, picks in zip(people[:2], ([options[0], options[1]], [options[1]])):
        polls.poll_vote(member=member, poll=next_fruit, option_ids=picks)
    mango = polls.poll_create(
        actor=owner, question="芒果品鉴会：哪个品种最好吃？", options=["贵妃芒", "金煌芒", "台农芒"],
        results="after_close", closes_at=timezone.now() + timedelta(days=1))
    mango = polls.poll_open(actor=owner, poll=mango)
    options = list(mango.options.order_by("position").values_list("pk", flat=True))
    for member, pick in zip(people, (options[0], options[0], options[2])):
        polls.poll_vote(member=member, poll=mango, option_ids=[pick])
    polls.poll_close(actor=owner, poll=mango)
