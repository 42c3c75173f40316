"""Crowdfunding and leaders figures for the analytics bench (bench/analytics.py calls ``seed`` after
its own seeding and times ``figures``).

``seed`` adds, by set-based SQL only: a leader on every branch that has none; 2,000 campaigns over two
years (one in four community-wide, the rest in a branch; the last 60 live); 200,000 pledges with
their charges (paid, collected, a few refunded or unpaid); 20,000 split-bill collections of five
shares each with their charges; and a commission earned on every other completed order of a branch
(a reversal for one in fifty of them)."""

from __future__ import annotations

from datetime import timedelta

CAMPAIGNS = 2_000
LIVE = 60
PLEDGES = 200_000
COLLECTIONS = 20_000
SHARES = 5


def seed(cursor, community_id: int, member_ids_range: range, now) -> None:
    c, first, n = community_id, member_ids_range.start, len(member_ids_range)

    def run(sql, params=()):
        cursor.execute(sql, params)

    def last_id(table: str) -> int:  # rows added next have larger ids (the sequence only grows)
        run(f"SELECT coalesce(max(id), 0) FROM {table}")
        return cursor.fetchone()[0]

    run("SELECT id FROM communities_community WHERE parent_id = %s ORDER BY id", [c])
    branches = [row[0] for row in cursor.fetchall()] or [None]
    # A leader for each branch without one: one of its members.
    run("""UPDATE communities_community b SET leader_id = (
               SELECT m.user_id FROM communities_membership m WHERE m.community_id = %s AND m.branch_id = b.id
               AND m.status = 'active' ORDER BY m.user_id LIMIT 1)
           WHERE b.parent_id = %s AND b.leader_id IS NULL""", [c, c])
    before = last_id("crowdfunding_campaign")
    # Campaigns: campaign k ends (730 − k × 730 / CAMPAIGNS) days ago; the last LIVE end in the coming weeks.
    run("""INSERT INTO crowdfunding_campaign (community_id, branch_id, kind, title, story, goal, currency, deadline,
                                              funding_model, status, cover, created_by_id, created_at, updated_at,
                                              launched_at, deadline_raised, deadline_backers, settled_at)
           SELECT %s, CASE WHEN k %% 4 = 0 THEN NULL ELSE (%s::bigint[])[1 + k %% %s] END, 'reward',
                  'Campaign ' || k, '', 1000 + (k %% 20) * 500, 'CNY', d, 'all_or_nothing',
                  CASE WHEN k >= %s THEN 'live' WHEN k %% 3 = 0 THEN 'failed' ELSE 'succeeded' END, '', NULL,
                  d - interval '30 days', d, d - interval '30 days',
                  CASE WHEN k < %s THEN 800 + (k %% 20) * 500 END, CASE WHEN k < %s THEN 40 + k %% 60 END,
                  CASE WHEN k < %s THEN d + interval '1 hour' END
           FROM (SELECT k, CASE WHEN k >= %s THEN %s::timestamptz + ((k - %s + 1) || ' days')::interval
                                ELSE %s::timestamptz - ((730 - k * 730 / %s) || ' days')::interval END AS d
                 FROM generate_series(0, %s - 1) k) x""",
        [c, branches, len(branches), CAMPAIGNS - LIVE, CAMPAIGNS - LIVE, CAMPAIGNS - LIVE, CAMPAIGNS - LIVE,
         CAMPAIGNS - LIVE, now, CAMPAIGNS - LIVE, now, CAMPAIGNS, CAMPAIGNS])
    run("SELECT min(id) FROM crowdfunding_campaign WHERE id > %s", [before])
    first_campaign = cursor.fetchone()[0]
    # Pledges: pledge p backs campaign p % CAMPAIGNS, paid in the 30 days before its deadline (never in the future).
    run("""CREATE TEMPORARY TABLE bench_pledges AS
           SELECT p, %s + (p::bigint * 7919) %% %s AS member_id, cp.id AS campaign_id,
                  20 + (p %% 10) * 10 AS amount,
                  least(cp.deadline - ((p %% 30) || ' days')::interval, %s::timestamptz) AS paid,
                  CASE WHEN p %% 50 = 1 THEN 'pending_payment' WHEN cp.status = 'failed' OR p %% 50 = 2 THEN 'refunded'
                       WHEN cp.status = 'succeeded' THEN 'collected' ELSE 'paid' END AS status
           FROM generate_series(0, %s - 1) p
           JOIN crowdfunding_campaign cp ON cp.id = %s + p %% %s""",
        [first, n, now, PLEDGES, first_campaign, CAMPAIGNS])
    before = last_id("payments_charge")
    run("""INSERT INTO payments_charge (amount, currency, purpose, description, url, status, paid_amount,
                                        refunded_amount, created_at, paid_at, community_id, member_id)
           SELECT x.amount, 'CNY', 'pledge', 'Pledge', '', CASE WHEN x.status = 'pending_payment' THEN 'open'
                  ELSE 'paid' END, CASE WHEN x.status = 'pending_payment' THEN 0 ELSE x.amount END,
                  CASE WHEN x.status = 'refunded' THEN x.amount ELSE 0 END, x.paid,
                  CASE WHEN x.status = 'pending_payment' THEN NULL ELSE x.paid END, %s, x.member_id
           FROM bench_pledges x ORDER BY x.p""", [c])
    run("SELECT min(id) FROM payments_charge WHERE id > %s", [before])
    first_charge = cursor.fetchone()[0]
    run("""INSERT INTO crowdfunding_pledge (community_id, campaign_id, tier_id, member_id, branch_id, charge_id, status,
                                            quantity, unit_amount, extra_support, amount, anonymous, note,
                                            pickup_point_id, shipping_address, pickup_code, tracking, idempotency_key,
                                            request_fingerprint, expires_at, created_at, updated_at, paid_at)
           SELECT %s, x.campaign_id, NULL, x.member_id, m.branch_id, %s + x.p, x.status, 1, 0, x.amount, x.amount,
                  FALSE, '', NULL, '', lpad((x.p %% 1000000)::text, 6, '0'), '', 'bench-pledge-' || x.p, '', NULL,
                  x.paid, x.paid, CASE WHEN x.status = 'pending_payment' THEN NULL ELSE x.paid END
           FROM bench_pledges x
           LEFT JOIN communities_membership m ON m.community_id = %s AND m.user_id = x.member_id
           ORDER BY x.p""", [c, first_charge, c])
    run("DROP TABLE bench_pledges")
    # Collections: collection k created (k × 730 / COLLECTIONS) days ago; share j of it is a distinct member's.
    before_bills = last_id("crowdfunding_collection")
    run("""INSERT INTO crowdfunding_collection (community_id, organizer_id, title, description, split, total, per_head,
                                                currency, status, outcome, idempotency_key, created_at, updated_at,
                                                closed_at)
           SELECT %s, %s + (k::bigint * 104729) %% %s, 'Bill ' || k, '', 'even', %s * 30, NULL, 'CNY',
                  CASE WHEN k < 200 THEN 'open' ELSE 'completed' END, '', 'bench-bill-' || k, t, t,
                  CASE WHEN k >= 200 THEN t + interval '2 days' END
           FROM (SELECT k, least(%s::timestamptz - ((k * 730 / %s) || ' days')::interval
                                 - ((k %% 1440) || ' minutes')::interval, %s::timestamptz) AS t
                 FROM generate_series(0, %s - 1) k) x""",
        [c, first, n, SHARES, now, COLLECTIONS, now, COLLECTIONS])
    run("""CREATE TEMPORARY TABLE bench_shares AS
           SELECT row_number() OVER (ORDER BY k.id, j) - 1 AS s, k.id AS collection_id, j,
                  %s + ((k.id::bigint * 104729) + 1 + j * 7) %% %s AS member_id, k.created_at, k.status
           FROM crowdfunding_collection k CROSS JOIN generate_series(0, %s - 1) j
           WHERE k.id > %s""", [first, n, SHARES, before_bills])
    before = last_id("payments_charge")
    run("""INSERT INTO payments_charge (amount, currency, purpose, description, url, status, paid_amount,
                                        refunded_amount, created_at, paid_at, community_id, member_id)
           SELECT 30, 'CNY', 'share', 'Share', '', CASE WHEN x.status = 'open' AND x.j >= 3 THEN 'open' ELSE 'paid' END,
                  CASE WHEN x.status = 'open' AND x.j >= 3 THEN 0 ELSE 30 END, 0, x.created_at,
                  CASE WHEN x.status = 'open' AND x.j >= 3 THEN NULL ELSE x.created_at + interval '1 hour' END,
                  %s, x.member_id
           FROM bench_shares x ORDER BY x.s""", [c])
    run("SELECT min(id) FROM payments_charge WHERE id > %s", [before])
    first_charge = cursor.fetchone()[0]
    run("""INSERT INTO crowdfunding_collectionshare (community_id, collection_id, participant_id, amount, charge_id,
                                                     status, paid_by_id, paid_at, position)
           SELECT %s, x.collection_id, x.member_id, 30, %s + x.s,
                  CASE WHEN x.status = 'open' AND x.j >= 3 THEN 'unpaid' ELSE 'paid' END,
                  CASE WHEN x.status = 'open' AND x.j >= 3 THEN NULL ELSE x.member_id END,
                  CASE WHEN x.status = 'open' AND x.j >= 3 THEN NULL ELSE x.created_at + interval '1 hour' END, x.j
           FROM bench_shares x ORDER BY x.s""", [c, first_charge])
    run("DROP TABLE bench_shares")
    # Commissions: every other completed order of a branch earns its leader 5 %; one in fifty is reversed.
    # The tables were just loaded: without fresh statistics the planner takes them for empty.
    run("ANALYZE orders_order, communities_community, orders_commission")
    commission = "INSERT INTO orders_commission (community_id, leader_id, order_id, kind, rate, base_amount, amount, " \
                 "created_at) "
    run(commission + """SELECT %s, b.leader_id, o.id, 'earned', 0.05, o.total, round(o.total * 0.05, 2), o.completed_at
           FROM orders_order o JOIN communities_community b ON b.id = o.branch_id
           WHERE o.community_id = %s AND o.status = 'completed' AND o.id %% 2 = 0 AND b.leader_id IS NOT NULL
             AND b.leader_id <> o.member_id""", [c, c])
    run("ANALYZE orders_commission")
    run(commission + """SELECT community_id, leader_id, order_id, 'reversed', rate, base_amount, -amount,
                                created_at + interval '2 days'
           FROM orders_commission e WHERE community_id = %s AND kind = 'earned' AND order_id %% 100 = 0""",
        [c])
    for table in ("payments_charge", "crowdfunding_campaign", "crowdfunding_pledge", "crowdfunding_collection",
                  "crowdfunding_collectionshare", "orders_commission"):
        run(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    run("ANALYZE crowdfunding_campaign, crowdfunding_pledge, crowdfunding_collection, crowdfunding_collectionshare, "
        "orders_commission, payments_charge")


def figures(community, branch) -> list:
    """(label, callable) for each selector of the crowdfunding and leaders pages."""
    from analytics import selectors, selectors_crowdfunding as cf, selectors_leaders
    from analytics.rollups import local_today

    today = local_today(community)
    p30, p90 = (selectors.period_from(community, period=p) for p in ("30d", "90d"))
    year = selectors.period_from(community, period="custom", start=(today - timedelta(days=364)).isoformat(),
                                 end=today.isoformat())
    return [
        ("crowdfunding summary 30d", lambda: cf.summary(community, p30)),
        ("crowdfunding summary 1 year", lambda: cf.summary(community, year)),
        ("crowdfunding summary 90d, one branch", lambda: cf.summary(community, p90, branch=branch)),
        ("open campaigns", lambda: cf.open_campaigns(community)),
        ("open campaigns, one branch", lambda: cf.open_campaigns(community, branch=branch)),
        ("ended campaigns 90d", lambda: cf.ended_campaigns(community, p90)),
        ("ended campaigns 1 year", lambda: cf.ended_campaigns(community, year)),
        ("collections 30d", lambda: cf.collections(community, p30)),
        ("collections 1 year", lambda: cf.collections(community, year)),
        ("collections 90d, one branch", lambda: cf.collections(community, p90, branch=branch)),
        ("leaders 30d", lambda: selectors_leaders.by_leader(community, p30)),
        ("leaders 1 year", lambda: selectors_leaders.by_leader(community, year)),
        ("leaders 30d, one branch", lambda: selectors_leaders.by_leader(community, p30, branch=branch)),
    ]
