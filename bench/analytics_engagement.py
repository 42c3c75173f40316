"""The engagement page's part of the analytics benchmark (bench/analytics.py calls both functions).

``seed`` adds, by set-based SQL (generate_series) to the community the main bench seeded (members,
branches, rounds, orders): 2,000 published events over two years with 50 RSVPs each (one in five
not checked in), 5,000 posts each featuring a round, 500,000 post views (100 per post), 50,000
likes, 20,000 comments, 1,000,000 daily check-ins (20,000 members over 50 days), 2,000,000 points
lines (one in eight spent), 20 coupons used by 10% of the orders, and referrals for 10% of the
members. ``scale`` shrinks every count for a quick run.

``figures`` gives (label, callable) for each engagement selector: 30 and 90 days, the whole
community and one branch.
"""

from __future__ import annotations


def seed(cursor, community_id, member_ids_range, now, scale: float = 1.0):
    c = community_id
    lo, n = member_ids_range.start, len(member_ids_range)

    def count(value):
        return max(1, int(value * scale))

    def run(sql, params):
        cursor.execute(sql, params)

    events, posts, views_per_post = count(2000), count(5000), 100
    # Events every ~9 hours over two years; 50 RSVPs each (member (e*53 + k) mod n), 4 in 5 checked in.
    run("""INSERT INTO engagement_event (kind, title, description, cover, starts_at, ends_at, address, online_url,
                                         seats_taken, max_guests, rsvp_deadline, price, currency, status, created_at,
                                         updated_at, published_at, community_id)
           SELECT 'meetup', 'Bench event ' || g, '', '', t, t + interval '2 hours', '', '', 50, 0, t, 0, 'CNY',
                  'published', t - interval '7 days', t, t - interval '7 days', %s
           FROM generate_series(0, %s - 1) g, LATERAL (SELECT %s - (g * interval '730 days') / %s AS t) x""",
        [c, events, now, events])
    run("""INSERT INTO engagement_rsvp (status, guests, ticket_code, created_at, updated_at, community_id, event_id,
                                        member_id, branch_id, checked_in_at)
           SELECT 'going', 0, upper(lpad(to_hex(e.id * 50 + k), 8, '0')), e.starts_at - interval '1 day', e.starts_at,
                  %s, e.id, m.user_id, m.branch_id, CASE WHEN k %% 5 <> 0 AND e.ends_at < %s THEN e.starts_at END
           FROM engagement_event e CROSS JOIN generate_series(0, 49) k
           JOIN communities_membership m ON m.community_id = %s AND m.user_id = %s + (e.id * 53 + k * 1009) %% %s
           WHERE e.community_id = %s
           ON CONFLICT DO NOTHING""", [c, now, c, lo, n, c])
    # Posts over two years, each featuring a round of the community.
    run("""INSERT INTO engagement_post (kind, title, summary, body, body_html, cover, status, comments_open,
                                        like_count, comment_count, created_at, updated_at, published_at, community_id)
           SELECT 'article', 'Bench post ' || g, '', '', '', '', 'published', TRUE, 0, 0, t, t, t, %s
           FROM generate_series(0, %s - 1) g, LATERAL (SELECT %s - (g * interval '730 days') / %s AS t) x""",
        [c, posts, now, posts])
    run("""INSERT INTO engagement_postfeature (position, community_id, post_id, group_buy_id)
           SELECT 0, %s, p.id, (SELECT r.id FROM orders_groupbuy r WHERE r.community_id = %s
                                ORDER BY abs(extract(epoch FROM r.created_at - p.published_at)) LIMIT 1)
           FROM engagement_post p WHERE p.community_id = %s""", [c, c, c])
    run("""INSERT INTO engagement_postview (first_seen_at, community_id, member_id, post_id)
           SELECT p.published_at + (k || ' hours')::interval, %s, %s + (p.id * 7919 + k * 101) %% %s, p.id
           FROM engagement_post p CROSS JOIN generate_series(0, %s - 1) k WHERE p.community_id = %s
           ON CONFLICT DO NOTHING""", [c, lo, n, views_per_post, c])
    run("""INSERT INTO engagement_postlike (created_at, community_id, member_id, post_id)
           SELECT v.first_seen_at, v.community_id, v.member_id, v.post_id FROM engagement_postview v
           WHERE v.community_id = %s AND (v.member_id + v.post_id) %% 10 = 0 ON CONFLICT DO NOTHING""", [c])
    run("""INSERT INTO engagement_comment (body, status, idempotency_key, created_at, author_id, community_id, post_id)
           SELECT 'Bench comment', 'visible', '', v.first_seen_at, v.member_id, v.community_id, v.post_id
           FROM engagement_postview v WHERE v.community_id = %s AND (v.member_id + v.post_id) %% 25 = 1""", [c])
    # Check-ins: 20,000 members (or all) a day, over the last days.
    daily = min(n, count(20000))
    run("""INSERT INTO engagement_dailycheckin (day, streak, created_at, community_id, member_id)
           SELECT (%s::timestamptz - ((g / %s) || ' days')::interval)::date, 1 + (g / %s) %% 7,
                  %s - ((g / %s) || ' days')::interval, %s, %s + g %% %s
           FROM generate_series(0, %s - 1) g ON CONFLICT DO NOTHING""",
        [now, daily, daily, now, daily, c, lo, daily, count(1_000_000)])
    # Points: one line in eight spent at checkout, the rest earned for orders, check-ins, events...
    run("""INSERT INTO engagement_pointsentry (amount, reason, key, note, created_at, community_id, member_id)
           SELECT CASE WHEN g %% 8 = 0 THEN -(100 + g %% 400) ELSE 1 + g %% 50 END,
                  (ARRAY['spent', 'order', 'check_in', 'streak', 'event', 'referral', 'featured', 'order'])[1 + g %% 8],
                  'bench-' || g, '', %s - ((g %% 730) || ' days')::interval - ((g %% 1440) || ' minutes')::interval,
                  %s, %s + g %% %s
           FROM generate_series(0, %s - 1) g""", [now, c, lo, n, count(2_000_000)])
    # Coupons: 20 of them, on 10% of the orders (their discount, the redemption).
    run("""INSERT INTO orders_coupon (code, name, kind, amount_off, min_spend, starts_at, ends_at, per_member_limit,
                                      handed_out_only, new_members_only, is_active, uses, created_at, updated_at,
                                      community_id)
           SELECT 'BENCH' || g, 'Bench coupon ' || g, 'amount', 1 + g %% 10, 0, %s - interval '731 days',
                  %s + interval '30 days', 1, FALSE, FALSE, TRUE, 0, %s, %s, %s
           FROM generate_series(0, 19) g""", [now, now, now, now, c])
    run("""INSERT INTO orders_couponredemption (amount, created_at, community_id, coupon_id, member_id, order_id,
                                                released_at)
           SELECT k.amount_off, o.created_at, %s, k.id, o.member_id, o.id, NULL
           FROM orders_order o JOIN orders_coupon k ON k.community_id = %s AND k.code = 'BENCH' || (o.id %% 20)
           WHERE o.community_id = %s AND o.id %% 10 = 0""", [c, c, c])
    run("""UPDATE orders_order o SET discount = r.amount FROM orders_couponredemption r
           WHERE r.order_id = o.id AND r.community_id = %s""", [c])
    # Referrals: 10% of the members were invited by another member; half of those rewarded.
    run("""INSERT INTO engagement_referral (status, joined_at, held_reason, outcome, points, created_at, updated_at,
                                           community_id, invitee_id, referrer_id)
           SELECT CASE WHEN m.user_id %% 2 = 0 THEN 'rewarded' ELSE 'joined' END, m.joined_at, '',
                  CASE WHEN m.user_id %% 4 = 0 THEN 'coupon:1' ELSE '' END,
                  CASE WHEN m.user_id %% 2 = 0 THEN 50 ELSE 0 END, m.joined_at, m.joined_at, %s, m.user_id,
                  %s + (m.user_id * 31) %% %s
           FROM communities_membership m
           WHERE m.community_id = %s AND m.user_id %% 10 = 3 AND m.user_id <> %s + (m.user_id * 31) %% %s
           ON CONFLICT DO NOTHING""", [c, lo, min(n, 1000), c, lo, min(n, 1000)])
    cursor.execute("ANALYZE")


def figures(community, branch):
    """(label, callable) for each figure of the engagement page."""
    from analytics import selectors
    from analytics import selectors_engagement as sel

    p30, p90 = (selectors.period_from(community, period=p) for p in ("30d", "90d"))
    rows = []
    for name, func in (("events", sel.events), ("posts", sel.posts), ("check_ins", sel.check_ins),
                       ("points", sel.points), ("coupons", sel.coupons), ("referrals", sel.referrals)):
        rows.append((f"engagement {name} 30d", lambda f=func: f(community, p30)))
        rows.append((f"engagement {name} 90d", lambda f=func: f(community, p90)))
        rows.append((f"engagement {name} 90d, one branch", lambda f=func: f(community, p90, branch=branch)))
    return rows

