"""What the report tests share: a small hall with two departments, a service with a 10-minute
target and two members of staff; moving the clock to a time of a hall day."""
from __future__ import annotations

from datetime import datetime

from helpers import SHANGHAI, small_hall_data

from hallcall.server.audit import Actor
from hallcall.server.config import load_config, parse_config

ANN, BO = Actor("staff", "ann"), Actor("staff", "bo")
DAY1, DAY2 = "2026-11-26", "2026-11-27"  # a Thursday and a Friday


def report_hall_data() -> dict:
    data = small_hall_data()
    data["departments"].append({"id": "e", "name": {"zh": "二部", "en": "Second"}})
    for s in data["services"]:
        if s["id"] == "b":
            s["target_wait_minutes"] = 10
        if s["id"] == "c":
            s["department"] = "e"
    demo_hash = load_config().member("admin").password_hash
    data["staff"] = [
        {"id": "ann", "name": "安娜", "windows": ["1", "2"], "password_hash": demo_hash},
        {"id": "bo", "name": "博", "windows": ["3"], "password_hash": demo_hash},
    ]
    return data


def report_hall():
    return parse_config(report_hall_data())


def at(clock, day: str, hhmmss: str) -> None:
    """Move the clock to a time of a hall day, in the hall's zone (Shanghai)."""
    h, m, *s = (int(x) for x in hhmmss.split(":"))
    clock.set(datetime.fromisoformat(day).replace(hour=h, minute=m, second=s[0] if s else 0,
                                                  tzinfo=SHANGHAI))


def sign_in(client, staff_id: str, password: str = "demo") -> None:
    """Sign in at the console's form (the demo hall's staff all have the password "demo")."""
    import re

    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/console/login", data={"csrf_token": token, "clerk": staff_id,
                                            "password": password})
    assert r.status_code == 303, r.get_data(as_text=True)
