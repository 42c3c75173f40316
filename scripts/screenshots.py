"""Screenshots of the main pages, to look at what people see: python scripts/screenshots.py [BASE_URL].

Member pages at phone size (390x844), console pages at desktop size; PNGs go to var/screenshots/.
Needs the demo data (make run loads it) and Debian's chromium.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
LANG = sys.argv[2] if len(sys.argv) > 2 else "zh-hans"
OUT = Path(__file__).resolve().parent.parent / "var" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
MEMBER = ["/", "/accounts/signup/", "/i/sunny2026ab/", "/i/unknowncode/", "/c/sunny-garden/join/"]
MEMBER_LOGGED_IN = ["/communities/", "/c/sunny-garden/", "/me/", "/me/inbox/", "/communities/new/"]
CONSOLE = ["/console/sunny-garden/", "/console/sunny-garden/members/", "/console/sunny-garden/requests/",
           "/console/sunny-garden/invites/", "/console/sunny-garden/branches/", "/console/sunny-garden/settings/",
           "/console/sunny-garden/audit/"]


def shoot(page, path, name):
    page.goto(BASE + path)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def login(page, login_id):
    page.goto(BASE + "/accounts/login/")
    page.fill("input[name=username]", login_id)
    page.fill("input[name=password]", "shequn-demo-2026")
    page.click("main form button[type=submit]")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
        phone.add_cookies([{"name": "django_language", "value": LANG, "url": BASE}])
        page = phone.new_page()
        for path in MEMBER:
            shoot(page, path, f"{LANG}-phone{path.replace('/', '_')}")
        login(page, "13800000003")
        for path in MEMBER_LOGGED_IN:
            shoot(page, path, f"{LANG}-phone-member{path.replace('/', '_')}")
        desk = browser.new_context(viewport={"width": 1280, "height": 800})
        desk.add_cookies([{"name": "django_language", "value": LANG, "url": BASE}])
        page = desk.new_page()
        login(page, "13800000001")
        for path in CONSOLE:
            shoot(page, path, f"{LANG}-desk{path.replace('/', '_')}")
        page.goto(BASE + "/console/sunny-garden/invites/")
        page.click("table.data tbody tr td a")
        page.screenshot(path=str(OUT / f"{LANG}-desk-poster.png"), full_page=True)
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
