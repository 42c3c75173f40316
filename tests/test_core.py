"""Health check, languages, production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_when_postgres_and_redis_do(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_down(client, settings, tmp_path):
    settings.REDIS_URL = f"unix://{tmp_path}/nothing-here.sock"
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["redis"].startswith("error")


@pytest.mark.django_db
def test_chinese_by_default_english_one_click_away(client):
    zh = client.get(reverse("accounts:login"))
    assert 'lang="zh-hans"' in zh.content.decode() and "登录" in zh.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    en = client.get(reverse("accounts:login"))
    assert 'lang="en"' in en.content.decode() and "Log in" in en.content.decode()


@pytest.mark.django_db
def test_unknown_pages_are_404_not_500(client):
    assert client.get("/c/does-not-exist/").status_code in (302, 404)
    assert client.get("/console/does-not-exist/members/").status_code in (302, 404)


def test_check_deploy_passes_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "x" * 64 + "-production-secret-for-the-check",
        "ALLOWED_HOSTS": "shequn.example.com",
        "DATABASE_URL": "postgres://shequn:secret@db:5432/shequn",
        "REDIS_URL": "redis://redis:6379/0",
    }
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_database():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.prod", SECRET_KEY="s" * 60, ALLOWED_HOSTS="x.example.com")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr


def test_no_missing_migrations():
    result = subprocess.run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
