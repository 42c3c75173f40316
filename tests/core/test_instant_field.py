"""InstantField: the instants clients set (rounds', events', coupons' times) are ISO 8601 in ASCII
digits, from the year 2000 on; an older one is refused (it would come back with a local mean time
offset such as +08:05:43 that no client can parse)."""

import pytest
from django.utils import translation
from rest_framework import serializers

from core.api import InstantField


class When(serializers.Serializer):
    at = InstantField()


@pytest.mark.parametrize("value", ["1170-04-24T05:12:46+08:00", "1999-12-31T23:59:59Z", "٢٠٢٦-11-30T10:00:00Z",
                                   "2026-11-30T10:00:00\x00", "0001-01-01T00:00:00+14:00"])
def test_old_or_odd_instants_are_refused(value):
    with translation.override("en"):
        form = When(data={"at": value})
        assert not form.is_valid()
    assert list(form.errors) == ["at"]


def test_the_year_2000_on_is_read_in_utc():
    form = When(data={"at": "2000-01-01T08:00:00+08:00"})
    assert form.is_valid(), form.errors
    assert form.validated_data["at"].isoformat() == "2000-01-01T00:00:00+00:00"
    with translation.override("en"):
        early = When(data={"at": "1999-06-01T00:00:00Z"})
        early.is_valid()
    assert str(early.errors["at"][0]) == "Pick a time from the year 2000 on."
