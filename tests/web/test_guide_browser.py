"""The service guide in a real browser against a real hub process: an admin edits a service's
guide at /admin (a step, the time limit, bookings on) and /guide/<id> shows it; a bad sample link
is refused next to its field and changes nothing; on a phone, /guide filters as one types.

Needs playwright and Debian's chromium (see tests/browser_support.py); skipped without them.
"""
from __future__ import annotations

import re

import pytest
from browser_support import DESKTOP, PHONE, WAIT_MS, checked_context, require_browser

from hallcall.hallclient import HubClient

sync_api = require_browser()
expect = sync_api.expect

pytestmark = pytest.mark.slow


def open_service_form(context, hub_url, service_id):
    page = context.new_page()
    page.goto(f"{hub_url}/admin")
    if "/console/login" in page.url:  # the context's first visit signs in
        page.fill("#clerk", "admin")
        page.fill("#password", "demo")
        page.press("#password", "Enter")
        page.wait_for_url("**/admin**")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    page.click("#tab-services")
    page.click(f"#svc-rows [data-edit='{service_id}']")
    expect(page.locator("#svc-form")).to_be_visible()
    return page


def service(hub_url, service_id) -> dict:
    client = HubClient(hub_url)
    try:
        return next(s for s in client.hall()["services"] if s["id"] == service_id)
    finally:
        client.close()


def test_an_admin_edits_the_guide_and_the_citizen_sees_it(browser, hub_url):
    with checked_context(browser, **DESKTOP) as ctx:
        page = open_service_form(ctx, hub_url, "company-name")
        steps = page.locator("#svc-procedure > li")
        expect(steps).to_have_count(len(service(hub_url, "company-name")["guide"]["procedure"]))
        expect(page.locator("#svc-g-fees-zh")).to_have_value("不收费")
        sample_url = page.locator("#svc-samples [data-part=url]").first
        expect(sample_url).to_have_value("/static/samples/company-name.html")
        expect(page.locator("#svc-appt-fields")).to_be_hidden()  # this one takes no bookings

        steps.nth(0).locator("input").nth(0).fill("在自助服务区填写申请书")
        steps.nth(0).locator("input").nth(1).fill("Fill in the form at the self-service corner")
        page.click("#svc-procedure-add")
        page.keyboard.type("领取通知书")  # the new step's first field has the focus
        page.locator("#svc-procedure > li").last.locator("input").nth(1).fill("Collect the notice")
        page.fill("#svc-g-time_limit-zh", "1 个工作日")
        page.fill("#svc-g-time_limit-en", "1 working day")
        page.check("#svc-appt-on")
        expect(page.locator("#svc-appt-slot")).to_have_value("30")  # the hub's default offered
        page.fill("#svc-appt-places", "4")
        page.click("#svc-form [data-save]")
        expect(page.locator("#svc-form")).to_be_hidden(timeout=WAIT_MS)

        s = service(hub_url, "company-name")
        assert s["guide"]["procedure"][0]["zh"] == "在自助服务区填写申请书"
        assert s["guide"]["procedure"][-1] == {"zh": "领取通知书", "en": "Collect the notice"}
        assert s["guide"]["time_limit"] == {"zh": "1 个工作日", "en": "1 working day"}
        assert s["appointments"]["per_slot"] == 4 and s["appointments"]["slot_minutes"] == 30

        citizen = ctx.new_page()
        citizen.goto(f"{hub_url}/guide/company-name")
        procedure = citizen.locator("[data-step=procedure] li")
        expect(procedure.first).to_contain_text("在自助服务区填写申请书")
        expect(procedure.last).to_contain_text("Collect the notice")
        expect(citizen.locator("[data-step=time_limit]")).to_contain_text("1 个工作日")
        expect(citizen.locator(".g-book")).to_be_visible()  # bookable now

        # A sample link that is no address: refused at that field, nothing saved.
        page = open_service_form(ctx, hub_url, "company-name")
        sample = page.locator("#svc-samples > li").first
        sample.locator("[data-part=url]").fill("javascript:alert(1)")
        page.click("#svc-form [data-save]")
        url_field = page.locator("#svc-samples [data-path='guide.samples[0].url']")
        expect(url_field.locator(".field-error")).to_be_visible(timeout=WAIT_MS)
        expect(url_field.locator(".field-error .zh")).not_to_be_empty()
        expect(url_field.locator("input")).to_have_attribute("aria-invalid", "true")
        assert service(hub_url, "company-name")["guide"]["samples"][0]["url"] == \
            "/static/samples/company-name.html"  # as it was


def test_the_guide_filters_as_a_citizen_types_on_a_phone(browser, hub_url):
    with checked_context(browser, **PHONE) as ctx:
        page = ctx.new_page()
        page.goto(f"{hub_url}/guide")
        items = page.locator(".g-item:visible")
        expect(items).to_have_count(36)
        page.fill("#g-q", "公积金")
        expect(items).to_have_count(1)
        expect(items.first).to_have_attribute("data-service", "provident-fund")
        page.fill("#g-q", "permit")
        expect(page.locator(".g-item:visible[data-service=residence-permit]")).to_have_count(1)
        expect(page.locator(".g-dept:visible[data-department=aic]")).to_have_count(0)
        page.fill("#g-q", "zzzz")
        expect(page.locator("#g-none")).to_be_visible()
        assert page.url.endswith("/guide?q=zzzz")  # a shared link shows the same search
        page.fill("#g-q", "")
        expect(items).to_have_count(36)
        page.locator("#s-provident-fund summary").click()
        expect(page.locator("#s-provident-fund [data-step=materials]")).to_be_visible()
        # nothing wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_poster_prints_on_one_a4_sheet(browser, hub_url):
    with checked_context(browser, **DESKTOP) as ctx:
        page = ctx.new_page()
        page.goto(f"{hub_url}/guide/poster")
        expect(page.locator("#poster-qr svg")).to_be_visible()
        pdf = page.pdf(prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)", pdf)
        assert round(float(box.group(1))) == 595 and round(float(box.group(2))) == 842  # A4, in points
