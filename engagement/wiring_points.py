"""What the points area adds to the rest of the site: audit-log sentences (and, with the member
pages, the community home's points card)."""

from django.utils.translation import pgettext_lazy

SENTENCES = {
    "levels.changed": pgettext_lazy("audit log", "%(actor)s changed the community's levels"),
}

HOME_SECTIONS: list = []
