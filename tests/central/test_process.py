"""`hallcall central` as a real process: over real HTTP it keeps what it was sent across a
restart, refuses a hub's database, and its overview page shows a hall's row and follows it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, TABLET, WAIT_MS, checked_context
from central.support import TOKEN, RealCentral
from central.test_ingest import batch
from real_server import REPO

from hallcall.hallclient import HubClient


@pytest.fixture
def real_central(tmp_path):
    server = RealCentral(tmp_path / "central.db", tmp_path / "central.log")
    yield server
    server.stop()


def post(server, events, **more) -> dict:
    client = HubClient(server.url, TOKEN)
    try:
        return client.request("POST", "/api/central/events", {"hall": "h1", "events": events, **more})[1]
    finally:
        client.close()


def test_a_restarted_central_keeps_what_it_held_and_its_page_follows(real_central):
    real_central.start()
    assert post(real_central, batch(1, 5), info={"name": {"zh": "徐汇一厅", "en": "Xuhui 1"}}) == {
        "hall": "h1", "last_seq": 5}
    assert real_central.stop() == 0  # SIGTERM: a clean stop
    real_central.start(port=real_central.port)
    assert post(real_central, [])["last_seq"] == 5  # a hub's first post learns where to resume

    sync_api = pytest.importorskip("playwright.sync_api")
    import os
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with checked_context(browser, **TABLET) as ctx:
                page = ctx.new_page()
                page.goto(real_central.url + "/")
                row = page.locator('tr[data-hall="h1"]')
                sync_api.expect(row).to_contain_text("徐汇一厅", timeout=WAIT_MS)
                sync_api.expect(row.locator("td.waiting")).to_have_text("5", timeout=WAIT_MS)
                post(real_central, batch(6, 7))  # two more waiting: the row follows
                sync_api.expect(row.locator("td.waiting")).to_have_text("7", timeout=WAIT_MS)
                assert "offline" not in (row.get_attribute("class") or "")
        finally:
            browser.close()


def test_a_hubs_database_is_refused_and_left_unchanged(make_hub, db_url, tmp_path):
    make_hub().stop()  # a hub's database at db_url
    hub_file = Path(db_url.removeprefix("sqlite:///"))
    before = hub_file.read_bytes()
    run = subprocess.run([sys.executable, "-m", "hallcall", "central", "--db", str(hub_file),
                          "--port", "0"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "is it a hub's database?" in run.stderr and run.stderr.startswith("hallcall central: ")
    assert hub_file.read_bytes() == before
