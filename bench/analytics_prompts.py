"""Analytics benchmark, the repurchase prompts page (called by bench/analytics.py).

``seed`` adds 300,000 repurchase prompts over the last year to the community bench/analytics.py
seeded (members of ``member_ids_range``, products of its rounds' items, its orders as the purchases
prompted and the orders that followed): 10 % held out, 8 % converted, a quarter of the sent ones
opened; one INSERT … SELECT over generate_series. ``figures`` times each selector of the page, for
the community and for one branch.
"""

from __future__ import annotations

PROMPTS = 300_000
ORDERS_SAMPLE = 99_991  # a prime: with the member and item cycles, (member, product, order) rarely repeat


def seed(cursor, community_id: int, member_ids_range: range, now, *, prompts: int = PROMPTS) -> int:
    """Prompts of the community (returns how many were inserted)."""
    members = len(member_ids_range)
    cursor.execute("""CREATE TEMPORARY TABLE bench_prompt_items AS
                      SELECT row_number() OVER (ORDER BY id) AS k, id, group_buy_id, product_id
                      FROM orders_groupbuyitem WHERE community_id = %s""", [community_id])
    cursor.execute("""CREATE TEMPORARY TABLE bench_prompt_orders AS
                      SELECT row_number() OVER (ORDER BY id) AS k, id FROM (
                          SELECT id FROM orders_order WHERE community_id = %s AND status = 'completed'
                          ORDER BY id LIMIT %s) o""", [community_id, ORDERS_SAMPLE])
    cursor.execute("SELECT (SELECT count(*) FROM bench_prompt_items), (SELECT count(*) FROM bench_prompt_orders)")
    items, orders = cursor.fetchone()
    if not items or not orders:
        raise RuntimeError("The community needs rounds with items and completed orders first.")
    cursor.execute("""
        INSERT INTO engagement_repurchaseprompt (community_id, member_id, product_id, last_order_id, group_buy_id,
                                                 item_id, due_on, sent_at, held_out, opened_at, converted_order_id)
        SELECT %(c)s, %(first)s + (n::bigint * 7919) %% %(members)s, i.product_id, o.id, i.group_buy_id, i.id,
               (%(now)s::timestamptz - (n %% 365) * interval '1 day')::date,
               %(now)s::timestamptz - (n %% 365) * interval '1 day' - (n %% 600) * interval '1 minute',
               n %% 10 = 0,
               CASE WHEN n %% 10 <> 0 AND n %% 100 < 25
                    THEN %(now)s::timestamptz - (n %% 365) * interval '1 day' END,
               CASE WHEN n %% 100 IN (0, 11, 12, 23, 34, 45, 56, 67) THEN co.id END
        FROM generate_series(0, %(prompts)s - 1) n
        JOIN bench_prompt_items i ON i.k = 1 + n %% %(items)s
        JOIN bench_prompt_orders o ON o.k = 1 + n %% %(orders)s
        JOIN bench_prompt_orders co ON co.k = 1 + (n * 31) %% %(orders)s
        ON CONFLICT (community_id, member_id, product_id, last_order_id) DO NOTHING""",
                   {"c": community_id, "first": member_ids_range.start, "members": members, "now": now,
                    "prompts": prompts, "items": items, "orders": orders})
    inserted = cursor.rowcount
    cursor.execute("DROP TABLE bench_prompt_items; DROP TABLE bench_prompt_orders")
    cursor.execute("ANALYZE engagement_repurchaseprompt")
    return inserted


def figures(community, branch) -> list:
    """(label, callable) for each selector of the page, over 30 and 90 days, all and one branch."""
    from analytics import selectors_prompts as sp
    from analytics.selectors import period_from

    last_30 = period_from(community, period="30d")
    last_90 = period_from(community, period="90d")
    return [
        ("prompts: summary, 30 days", lambda: sp.summary(community, last_30)),
        ("prompts: summary, 90 days", lambda: sp.summary(community, last_90)),
        ("prompts: summary, 30 days, one branch", lambda: sp.summary(community, last_30, branch=branch)),
        ("prompts: by day, 90 days", lambda: sp.daily(community, last_90)),
        ("prompts: by day, 30 days, one branch", lambda: sp.daily(community, last_30, branch=branch)),
        ("prompts: products, 90 days", lambda: sp.products(community, last_90)),
        ("prompts: products, 30 days, one branch", lambda: sp.products(community, last_30, branch=branch)),
    ]
