"""{{ community.timezone|tz_name }} → "北京时间（上海）" in Chinese, "China time (Shanghai)" in English."""

from django import template

from core.timezones import timezone_name

register = template.Library()


@register.filter
def tz_name(zone):
    return timezone_name(zone)
