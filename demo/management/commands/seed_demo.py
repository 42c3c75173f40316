"""Demo data for `make run`: a neighbourhood community with an owner, a leader, members, branches,
an invite and a pending join request; then a catalog, pickup points, wallets, an open group-buy with
a threshold and price tiers, and a team purchase. Idempotent: running it again changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from communities import services
from communities.models import Community, Invite, JoinRequest, Membership, Role

PASSWORD = "shequn-demo-2026"
PEOPLE = [
    # phone, email, display name
    ("13800000001", "owner@demo.shequn.local", "王店长"),
    ("13800000002", "leader@demo.shequn.local", "李团长"),
    ("13800000003", "member@demo.shequn.local", "张三"),
    ("13800000004", None, "赵四"),
    ("13800000005", None, "陈小姐"),
]
DEMO_SLUG = "sunny-garden"
DEMO_INVITE = "sunny2026ab"


class Command(BaseCommand):
    help = "Load the demo community (idempotent)."

    def handle(self, *args, **options):
        users = []
        for phone, email, name in PEOPLE:
            user = User.objects.filter(phone=phone).first()
            if user is None:
                user = User.objects.create_user(email=email, phone=phone, password=PASSWORD, display_name=name)
            users.append(user)
        if not Community.objects.filter(slug=DEMO_SLUG).exists():
            self.load_community(users)
        community = Community.objects.get(slug=DEMO_SLUG)
        from orders.demo import load_selling_demo

        from crowdfunding.demo import load_crowdfunding_demo
        from engagement.demo import load_engagement_demo

        loaded = False
        if load_selling_demo(community):
            loaded = True
            self.stdout.write(self.style.SUCCESS("Demo catalog, group-buys and wallets loaded."))
        if load_crowdfunding_demo(community):
            loaded = True
            self.stdout.write(self.style.SUCCESS("Demo campaigns loaded."))
        if load_engagement_demo(community):
            loaded = True
            self.stdout.write(self.style.SUCCESS("Demo events, posts and polls loaded."))
        from partners.demo import load_partner_demo

        partner_key = load_partner_demo(community, password=PASSWORD)
        if partner_key:
            loaded = True
            self.stdout.write(self.style.SUCCESS(
                f"Demo partner shop 青山果园 loaded (staff login 13900001111). Its API key, shown once: {partner_key}"))
        if not loaded:
            self.stdout.write("Demo data already loaded.")

    def load_community(self, users):
        owner_user, leader_user, member_user, member2_user, applicant = users
        with transaction.atomic():
            community = services.community_create(
                owner=owner_user, name="阳光花园邻里团", kind=Community.Kind.NEIGHBOURHOOD,
                purpose="小区邻居一起团购新鲜水果蔬菜，每周两次到货，自提点就在楼下。",
                description="阳光花园小区的邻里团购群。团长每周发布接龙，到货后在自提点领取。",
                rules="1. 友善交流，不发广告。\n2. 接龙后请按时付款、按时自提。\n3. 有问题找团长。",
                join_policy=Community.JoinPolicy.APPROVAL, timezone="Asia/Shanghai", currency="CNY",
            )
            Community.objects.filter(pk=community.pk).update(slug=DEMO_SLUG)
            community.refresh_from_db()
            owner = Membership.objects.get(community=community, user=owner_user)
            Invite.objects.create(community=community, code=DEMO_INVITE, created_by=owner_user, label="小区公告栏海报")
            for user in (leader_user, member_user, member2_user):
                services.membership_join_by_code(user=user, code=DEMO_INVITE)
            phase1 = services.branch_create(actor=owner, name="一期", leader=leader_user)
            services.branch_create(actor=owner, name="二期")
            for user in (member_user, member2_user):
                services.membership_move_branch(
                    actor=owner, membership=Membership.objects.get(community=community, user=user), branch=phase1)
            services.join_request_create(user=applicant, community=community,
                                         message="我住 5 栋，想一起团购水果。")
        assert Membership.objects.get(community=community, user=leader_user).role == Role.LEADER
        assert JoinRequest.objects.filter(community=community, status="pending").count() == 1
        self.stdout.write(self.style.SUCCESS(f"Demo community loaded: /c/{DEMO_SLUG}/ (invite /i/{DEMO_INVITE}/)"))
