"""What the areas of engagement share: the community's engagement settings."""

from engagement.models import EngagementSettings


def engagement_settings(community) -> EngagementSettings:
    """The community's settings row (made with the defaults on first use)."""
    settings, _ = EngagementSettings.objects.get_or_create(community_id=community.pk)
    return settings
