"""Sharing a round: posters, the public preview of its link, the 接龙 list, link cards."""

import io
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import translation
from PIL import Image

from communities.models import Community, Membership
from core import posters as core_posters
from orders import jielong, services
from orders.models import GroupBuy, Order
from tests.factories import CommunityFactory, MembershipFactory, ProductFactory, UserFactory, make_group_buy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_cache(settings):
    # Posters are cached by what they show; a cache of this test's own keeps runs apart.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "sharing-tests"}}
    from django.core.cache import cache
    cache.clear()


@pytest.fixture
def anon(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _buyer(community, name, phone=None):
    user = UserFactory(display_name=name, **({"phone": phone} if phone else {}))
    return MembershipFactory(community=community, user=user)


def _png(response):
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))


def _round_url(group_buy, name="orders:group_buy"):
    return reverse(name, kwargs={"slug": group_buy.community.slug, "pk": group_buy.pk})


# Posters --------------------------------------------------------------------------------------

def test_the_poster_font_draws_chinese():
    path, _index = core_posters.font_path(False)
    assert path != core_posters.LATIN_ONLY and core_posters._covers_cjk(path)
    assert core_posters.check_poster_font() == []


def test_round_poster_is_a_750_wide_png_redrawn_only_when_progress_changes(owner, member, login, place, top_up,
                                                                           monkeypatch):
    product = ProductFactory(community=owner.community, name="金煌芒", list_price="68.00")
    group_buy = make_group_buy(owner, products=[product], price="45.00", title="周末芒果",
                               success_rule="min_quantity", success_threshold=Decimal("10"))
    drawn = []
    render = core_posters.render
    monkeypatch.setattr(core_posters, "render", lambda poster: drawn.append(poster) or render(poster))
    client = login(member)
    url = _round_url(group_buy, "orders:group_buy_poster")

    first = client.get(url)
    image = _png(first)
    assert image.width == 750 and image.height > 750
    assert "max-age" in first["Cache-Control"] and first["ETag"]
    assert drawn[0].progress == "10 more units to go ahead" and drawn[0].list_price == "¥68.00"

    again = client.get(url)
    assert again.content == first.content and again["ETag"] == first["ETag"] and len(drawn) == 1
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{first["ETag"]}').status_code == 304

    top_up(owner, member, "100.00")
    services.order_pay_with_wallet(member=member, order=place(member, group_buy, qty=2))
    changed = client.get(url)
    assert changed["ETag"] != first["ETag"] and changed.content != first.content and len(drawn) == 2
    assert drawn[1].progress == "8 more units to go ahead" and drawn[1].ratio == pytest.approx(0.2)


def test_team_poster_says_how_many_people_are_missing(owner, member, login, place):
    group_buy = make_group_buy(owner, mode="team", team_size=3, title="Durian team")
    order = place(member, group_buy, open_team=True)
    team = order.team
    client = login(member)
    image = _png(client.get(reverse("orders:team_poster", kwargs={"slug": owner.community.slug, "code": team.code})))
    assert image.width == 750
    from orders import posters
    with translation.override("en"):
        assert posters.team_progress_words(team) == "3 more people to go ahead"
        team.paid_count = 2
        assert posters.team_progress_words(team) == "1 more person to go ahead"
        team.status = "succeeded"
        assert posters.team_progress_words(team) == "Goal reached"


def test_community_poster_is_public_where_the_join_page_is(anon, owner, member):
    community = owner.community  # approval: its join page is public
    url = reverse("communities:poster", kwargs={"slug": community.slug})
    assert _png(anon.get(url)).width == 750
    Community.objects.filter(pk=community.pk).update(join_policy=Community.JoinPolicy.INVITE)
    assert anon.get(url).status_code == 404
    anon.force_login(member.user)
    assert _png(anon.get(url)).width == 750


# The public preview -----------------------------------------------------------------------------

@pytest.fixture
def shared_round(owner, place):
    """A round with two live orders and a cancelled one, in an approval community."""
    community = owner.community
    product = ProductFactory(community=community, name="Golden mango", list_price="68.00")
    group_buy = make_group_buy(owner, products=[product], price="45.00", title="Weekend mangoes", offer=50,
                               success_rule="min_quantity", success_threshold=Decimal("20"))
    zhang = _buyer(community, "Zhang San", phone="13912345678")
    place(zhang, group_buy, qty=2)
    gone = place(_buyer(community, "Wang Wu"), group_buy, qty=1)
    services.order_cancel(member=gone.community.memberships.get(user=gone.member), order=gone)
    place(_buyer(community, "Li Si"), group_buy, qty=3)
    return group_buy


def test_a_stranger_sees_the_round_its_jielong_list_and_the_way_in(anon, shared_round):
    response = anon.get(_round_url(shared_round))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Weekend mangoes" in html and "¥45.00" in html and "¥68.00" in html
    assert "Closes" in html
    # The 接龙 list: live orders only, newest first, numbered in order of ordering, names masked.
    entries = re.findall(r'<span class="n">(\d+)\.</span> <span class="who">([^<]*)</span> <span class="what">([^<]*)<',
                         html)
    assert entries == [("2", "L*", "+3 Golden mango"), ("1", "Z*", "+2 Golden mango")]
    assert "Zhang" not in html and "Wang" not in html and "13912345678" not in html and "@example.com" not in html
    # No order form for a stranger: one way in, which comes back here.
    assert 'name="qty_' not in html
    join = reverse("communities:join", kwargs={"slug": shared_round.community.slug})
    back = urlencode({"next": f"{join}?{urlencode({'next': _round_url(shared_round)})}"})
    assert f'href="/accounts/signup/?{back}"' in html and f'href="/accounts/login/?{back}"' in html


def test_a_logged_in_non_member_sees_the_preview_and_asks_to_join(client, outsider, shared_round):
    client.force_login(outsider)
    html = client.get(_round_url(shared_round)).content.decode()
    assert "Weekend mangoes" in html and 'name="qty_' not in html
    assert f'href="/c/{shared_round.community.slug}/join/?next=%2Fc%2F' in html


def test_members_only_previews_show_strangers_the_way_in_not_the_round(anon, shared_round):
    Community.objects.filter(pk=shared_round.community_id).update(previews_members_only=True)
    response = anon.get(_round_url(shared_round))
    html = response.content.decode()
    assert response.status_code == 200 and "data-join" in html
    assert "Weekend mangoes" not in html and "Golden mango" not in html and "L*" not in html
    assert anon.get(_round_url(shared_round, "orders:group_buy_poster")).status_code == 404
    assert "Golden mango" not in anon.get(_round_url(shared_round, "orders:jielong")).content.decode()


def test_members_only_previews_lock_teams_too(anon, owner, member, place):
    group_buy = make_group_buy(owner, mode="team", team_size=2, title="Durian team")
    team = place(member, group_buy, open_team=True).team
    Community.objects.filter(pk=owner.community_id).update(previews_members_only=True)
    kwargs = {"slug": owner.community.slug, "code": team.code}
    html = anon.get(reverse("orders:team", kwargs=kwargs)).content.decode()
    assert "data-join" in html and "Durian team" not in html
    assert anon.get(reverse("orders:team_poster", kwargs=kwargs)).status_code == 404


def test_an_order_sent_without_a_session_is_kept_and_asks_to_log_in(anon, shared_round):
    """Not the preview: the friendly page that keeps the form and offers to log in and send it again."""
    before = Order.objects.filter(group_buy=shared_round).count()
    response = anon.post(_round_url(shared_round), {"qty_1": "1"})
    html = response.content.decode()
    assert response.status_code == 403 and "/accounts/login/" in html
    assert Order.objects.filter(group_buy=shared_round).count() == before


def test_members_still_see_the_round_when_previews_are_members_only(login, member, shared_round):
    Community.objects.filter(pk=shared_round.community_id).update(previews_members_only=True)
    html = login(member).get(_round_url(shared_round)).content.decode()
    assert "Weekend mangoes" in html and 'name="qty_' in html and "L*" in html


def test_another_communitys_round_or_a_draft_is_not_found(anon, login, member, owner, shared_round):
    other = CommunityFactory(join_policy=Community.JoinPolicy.OPEN)
    theirs = make_group_buy(MembershipFactory(community=other, role="owner"), title="Their round")
    mine = shared_round.community.slug
    for name in ("orders:group_buy", "orders:group_buy_poster", "orders:jielong"):
        wrong = reverse(name, kwargs={"slug": mine, "pk": theirs.pk})
        assert anon.get(wrong).status_code == 404
        assert login(member).get(wrong).status_code == 404
        anon.logout()
    draft = make_group_buy(owner, title="Secret draft")
    GroupBuy.objects.filter(pk=draft.pk).update(status=GroupBuy.Status.DRAFT)
    response = anon.get(_round_url(draft))
    assert response.status_code == 404 and "Secret draft" not in response.content.decode()
    assert anon.get(reverse("orders:team", kwargs={"slug": mine, "code": "nosuchteam"})).status_code == 404


def test_a_banned_person_gets_no_preview(client, shared_round):
    banned = MembershipFactory(community=shared_round.community, status=Membership.Status.BANNED)
    client.force_login(banned.user)
    response = client.get(_round_url(shared_round))
    assert response.status_code == 403 and "Weekend mangoes" not in response.content.decode()


def test_a_stranger_sees_a_team_with_masked_names(anon, owner, place):
    group_buy = make_group_buy(owner, mode="team", team_size=2, title="Durian team")
    leader = _buyer(owner.community, "Zhou Enlai")
    team = place(leader, group_buy, open_team=True).team
    html = anon.get(reverse("orders:team", kwargs={"slug": owner.community.slug, "code": team.code})).content.decode()
    assert "Durian team" in html and "data-join" in html and 'title="Z*"' in html and "Zhou" not in html
    assert "2 more people to go ahead" in html


# The 接龙 list ----------------------------------------------------------------------------------

def test_buyer_names_follow_the_communitys_choice():
    assert jielong.buyer_name("张三", "masked") == "张*"
    assert jielong.buyer_name("张三", "full") == "张三"
    with translation.override("en"):
        assert jielong.buyer_name("张三", "hidden") == "A buyer"
    # A display name that is a phone number or an e-mail address is never shown whole.
    assert jielong.buyer_name("13912345678", "full") == "1*"
    assert jielong.buyer_name("me@example.com", "full") == "m*"


@pytest.mark.parametrize("mode, shown", [("full", "Li Si"), ("masked", "L*"), ("hidden", "A buyer")])
def test_the_round_page_names_buyers_as_the_community_chose(login, member, shared_round, mode, shown):
    Community.objects.filter(pk=shared_round.community_id).update(jielong_names=mode)
    html = login(member).get(_round_url(shared_round)).content.decode()
    assert f'<span class="n">2.</span> <span class="who">{shown}</span>' in html
    assert "13912345678" not in html


def test_the_recent_list_is_one_query_and_counts_live_orders(shared_round, member, django_assert_num_queries):
    with django_assert_num_queries(1):
        listing = jielong.recent(shared_round, mode="masked", user_id=member.user_id)
    assert listing.total == 2 and [e.number for e in listing.entries] == [2, 1] and not listing.has_next


def test_the_full_list_pages_in_order(anon, shared_round, place, monkeypatch):
    monkeypatch.setattr(jielong, "PAGE", 2)
    monkeypatch.setattr(jielong, "RECENT", 2)
    place(_buyer(shared_round.community, "Qian Liu"), shared_round, qty=1)
    assert jielong.recent(shared_round, mode="masked", limit=2).has_next
    first = anon.get(_round_url(shared_round, "orders:jielong")).content.decode()
    assert re.findall(r'<span class="n">(\d+)\.', first) == ["1", "2"] and "?page=2" in first
    second = anon.get(_round_url(shared_round, "orders:jielong") + "?page=2").content.decode()
    assert re.findall(r'<span class="n">(\d+)\.', second) == ["3"] and "?page=3" not in second
    assert anon.get(_round_url(shared_round, "orders:jielong") + "?page=x").status_code == 200


# Link cards -------------------------------------------------------------------------------------

def _og(html):
    return dict(re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', html))


def test_round_pages_carry_link_card_tags_with_absolute_urls(anon, login, member, shared_round):
    for html in (anon.get(_round_url(shared_round)).content.decode(),
                 login(member).get(_round_url(shared_round)).content.decode()):
        og = _og(html)
        assert og["title"] == "Weekend mangoes"
        assert og["image"] == f"http://testserver{_round_url(shared_round, 'orders:group_buy_poster')}"
        assert og["url"] == f"http://testserver{_round_url(shared_round)}"
        assert og["description"].startswith("¥45.00 · 20 more units to go ahead · Closes ")


# The way in ------------------------------------------------------------------------------------

def test_sign_up_then_join_brings_the_stranger_back_to_the_round(anon, shared_round):
    community = shared_round.community
    Community.objects.filter(pk=community.pk).update(join_policy=Community.JoinPolicy.OPEN)
    join = reverse("communities:join", kwargs={"slug": community.slug})
    back = f"{join}?{urlencode({'next': _round_url(shared_round)})}"
    signed_up = anon.post(f"/accounts/signup/?{urlencode({'next': back})}", {
        "login": "13700001111", "display_name": "New neighbour", "password": "a-long-pass-2026",
        "next": back})
    assert signed_up.status_code == 302 and signed_up["Location"] == back
    assert "Join now" in anon.get(back).content.decode()
    joined = anon.post(back)
    assert joined.status_code == 302 and joined["Location"] == _round_url(shared_round)
    assert 'name="qty_' in anon.get(_round_url(shared_round)).content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/c/x/", "//evil.example/", "/c/another/buy/1/"])
def test_join_ignores_a_next_page_outside_the_community(client, outsider, shared_round, target):
    community = shared_round.community
    Community.objects.filter(pk=community.pk).update(join_policy=Community.JoinPolicy.OPEN)
    client.force_login(outsider)
    response = client.post(f"{reverse('communities:join', kwargs={'slug': community.slug})}?"
                           f"{urlencode({'next': target})}")
    assert response.status_code == 302 and response["Location"] == community.get_absolute_url()


def test_the_round_poster_shows_the_first_product_photo(owner, member, login, settings, tmp_path):
    from catalog.services import product_image_add

    settings.MEDIA_ROOT = str(tmp_path / "media")
    product = ProductFactory(community=owner.community)
    photo = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 160, 90)).save(photo, "JPEG")
    photo.name = "greens.jpg"
    product_image_add(actor=owner, product=product, upload=photo)
    group_buy = make_group_buy(owner, products=[product])
    image = _png(login(member).get(_round_url(group_buy, "orders:group_buy_poster"))).convert("RGB")
    assert all(abs(a - b) < 12 for a, b in zip(image.getpixel((375, 200)), (40, 160, 90)))


def test_an_approved_request_leads_back_to_the_round_it_came_from(client, outsider, owner, shared_round):
    """Approval communities: asking to join from a shared round, the approval notice links to that round."""
    from communities import services as community_services
    from communities.models import JoinRequest
    from core.models import Notification

    community = shared_round.community
    client.force_login(outsider)
    join = reverse("communities:join", kwargs={"slug": community.slug})
    asked = client.post(f"{join}?{urlencode({'next': _round_url(shared_round)})}", {"message": "5栋的"})
    assert asked.status_code == 302
    request = JoinRequest.objects.get(community=community, user=outsider)
    assert request.came_from == _round_url(shared_round)
    community_services.join_request_approve(actor=owner, join_request=request)
    notice = Notification.objects.get(recipient=outsider, kind="join_request_decided")
    assert notice.url == _round_url(shared_round)
    # a page outside the community is never kept
    other = JoinRequest.objects.create(community=community, user=UserFactory(), came_from="")
    assert community_services.community_path(community, "https://evil.example/") == ""
    assert community_services.community_path(community, f"/c/{community.slug}/../../admin/") == ""
    assert other.came_from == ""
