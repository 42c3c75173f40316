"""Account journeys in a real browser at phone size."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from accounts.models import ApiToken
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_reviews_and_revokes_api_tokens_on_a_phone(phone):
    user = UserFactory(display_name="张三")
    used, _ = services.api_token_create(user=user, name="小店库存同步脚本", expires_in_days=90)
    ApiToken.objects.filter(pk=used.pk).update(last_used_at=timezone.now() - timedelta(minutes=42))
    services.api_token_create(user=user, name="旧笔记本")
    expired, _ = services.api_token_create(user=user, name="测试", expires_in_days=1)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=3))
    services.api_token_create(user=user)

    log_in(phone, user.phone, PASSWORD)
    phone.goto("/me/#api-tokens")
    tokens = phone.locator("#api-tokens li.token")
    expect(tokens).to_have_count(4)
    expect(tokens.filter(has_text="小店库存同步脚本")).to_have_count(1)
    if os.environ.get("SCREENSHOT_DIR"):
        phone.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "auth-tokens.png"))

    phone.once("dialog", lambda dialog: dialog.accept())
    tokens.filter(has_text="旧笔记本").get_by_role("button").click()

    expect(phone.locator("#api-tokens li.token")).to_have_count(3)
    expect(phone.locator(".messages")).to_be_visible()
    assert not user.api_tokens.filter(name="旧笔记本").exists()
