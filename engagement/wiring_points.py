"""What the points area adds to the rest of the site: audit-log sentences (and, with the member
pages, the community home's points card)."""

from django.utils.translation import pgettext_lazy

SENTENCES = {
    "levels.changed": pgettext_lazy("audit log", "%(actor)s changed the community's levels"),
}



def _points_card(membership) -> dict:
    from engagement.point_views import points_home_section

    return points_home_section(membership)


HOME_SECTIONS = [_points_card]


def _handlers() -> dict[str, list]:
    # Imported at ready(): these read models.
    from engagement import points, points_checkout

    handlers: dict[str, list] = {}
    for module in (points, points_checkout):
        for name, handler in module.HANDLERS.items():
            handlers.setdefault(name, []).append(handler)
    return handlers


HANDLERS = _handlers()
