"""The pickup desk in a browser (1280×800): the member's QR picture is decoded by the desk's reader
(jsQR, served from static/) and submitted; a camera is faked with a video of that QR."""

import io
import os
from datetime import timedelta

import pytest
import qrcode
from PIL import Image
from playwright.sync_api import expect

from orders import services
from orders.models import Order
from tests.e2e.conftest import CHROMIUM_FLAGS, DESKTOP, PHONE, chromium_path, log_in
from tests.e2e.test_selling import shop
from tests.factories import PASSWORD, ProductFactory, make_group_buy

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = "/tmp/shots-desk"


def ready_order():
    community, owner, leader, member, point = shop()
    product = ProductFactory(community=community, name="Mango box", unit="box")
    group_buy = make_group_buy(owner, products=[product], price="45.00", point=point, title="Weekend mangoes")
    order, _created = services.order_place(member=member, group_buy=group_buy, lines=[(group_buy.items.get().pk, 2)],
                                           idempotency_key="desk", pickup_point_id=point.pk)
    services.payments_mark_received(actor=owner, orders=[order])
    services.group_buy_close_due(now=group_buy.closes_at + timedelta(seconds=1))
    services.group_buy_mark_arrived(actor=owner, group_buy=group_buy)
    order.refresh_from_db()
    assert order.status == Order.Status.READY
    return community, owner, leader, member, order


def member_qr_data_url(page, order):
    """The QR picture the member's order page shows, as a data: URL (read by the member's browser)."""
    page.goto(order.get_absolute_url())
    src = page.locator(".pickup-code img").get_attribute("src")
    return page.evaluate("""async (src) => {
        const blob = await (await fetch(src)).blob();
        return await new Promise((resolve) => { const r = new FileReader(); r.onload = () => resolve(r.result);
                                                r.readAsDataURL(blob); });
    }""", src)


def test_desk_decodes_the_members_qr_picture_and_hands_over(english, desktop):
    community, owner, leader, member, order = ready_order()
    phone = english(PHONE)
    log_in(phone, member.user.phone, PASSWORD)
    picture = member_qr_data_url(phone, order)

    desk = english(DESKTOP)
    log_in(desk, leader.user.email, PASSWORD)
    desk.goto(f"/console/{community.slug}/pickup/")
    # localhost is a secure context: the camera button is offered.
    expect(desk.locator("[data-scan-start]")).to_be_visible()
    with desk.expect_navigation():
        assert desk.evaluate("(src) => window.shequnPickupDesk.scanImage(src)", picture) is True
    assert services.pickup_qr_code(order) in desk.url.replace("%3A", ":")
    expect(desk.locator(f".handover[data-order='{order.pk}']")).to_contain_text("Member Zhang")
    desk.click("button:has-text('Hand over')")
    expect(desk.locator(".messages")).to_contain_text(f"Handed over: order #{order.pk}")
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED

    # The same QR again: already picked up, and by whom.
    with desk.expect_navigation():
        desk.evaluate("(src) => window.shequnPickupDesk.scanImage(src)", picture)
    outcome = desk.locator("[data-outcome=already_picked_up]")
    expect(outcome).to_contain_text("Already picked up")
    expect(outcome).to_contain_text("Leader Li")

    # A forged code, as a decoder would hand it over: a wrong code.
    with desk.expect_navigation():
        desk.evaluate("(text) => window.shequnPickupDesk.submitDecoded(text)",
                      f"{community.pk}.{order.pk}.{order.pickup_code}:forgedsignatureforgedsignature")
    expect(desk.locator(".desk-outcome.wrong")).to_contain_text("Wrong code")

    # In Chinese, at console size.
    os.makedirs(SHOTS, exist_ok=True)
    log_in(desktop, leader.user.email, PASSWORD)
    desktop.goto(f"/console/{community.slug}/pickup/?code={order.pickup_code}")
    expect(desktop.locator("[data-outcome=already_picked_up]")).to_be_visible()
    desktop.screenshot(path=f"{SHOTS}/pickup-desk-already.png", full_page=True)


def y4m_of(png: bytes, path: str, frames: int = 10) -> None:
    """A still video (YUV4MPEG2, 4:2:0) of a picture, for Chromium's fake camera."""
    width, height = 640, 480
    canvas = Image.new("RGB", (width, height), "white")
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    qr.thumbnail((400, 400))
    canvas.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)


def test_the_camera_reads_the_qr(browser, live_server, tmp_path):
    """Chromium's fake camera plays a video of the member's QR: the desk's camera path finds the order."""
    community, owner, leader, member, order = ready_order()
    buffer = io.BytesIO()
    qrcode.make(services.pickup_qr_code(order), box_size=8, border=2).save(buffer, format="PNG")
    video = str(tmp_path / "qr.y4m")
    y4m_of(buffer.getvalue(), video)
    flags = CHROMIUM_FLAGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                              f"--use-file-for-fake-video-capture={video}"]
    with_camera = browser.browser_type.launch(executable_path=chromium_path(), args=flags)
    try:
        context = with_camera.new_context(viewport=DESKTOP, base_url=live_server.url, locale="en-US",
                                          extra_http_headers={"Accept-Language": "en"})
        context.grant_permissions(["camera"])
        desk = context.new_page()
        desk.set_default_timeout(15_000)
        log_in(desk, leader.user.email, PASSWORD)
        desk.goto(f"/console/{community.slug}/pickup/")
        with desk.expect_navigation():
            desk.click("[data-scan-start]")
        expect(desk.locator(f".handover[data-order='{order.pk}']")).to_contain_text("Member Zhang")
    finally:
        with_camera.close()
