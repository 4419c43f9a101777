"""What the kiosk reads from the hub's GET /api/hall snapshot: the services grouped by department,
whether each can be taken now, and its opening hours as a citizen reads them. Plain functions
over plain values."""
from __future__ import annotations

from collections.abc import Callable

from hallcall.hallclient.i18n import N_

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
# A service without a listed department still gets a tab (the hub's config check makes this
# rare); its name is data like the other departments' names, not a message of the program.
OTHER = {"id": "", "name": {"zh": "其他业务", "en": "Other services"}}


def groups(snapshot: dict) -> list[tuple[dict, list[dict]]]:
    """(department, its services) in the hall's order; departments without services left out."""
    services = snapshot.get("services") or []
    out = []
    for dep in snapshot.get("departments") or []:
        mine = [s for s in services if s.get("department") == dep.get("id")]
        if mine:
            out.append((dep, mine))
    listed = {dep["id"] for dep, _ in out}
    rest = [s for s in services if s.get("department") not in listed]
    if rest:
        out.append((OTHER, rest))
    return out


def state(service: dict) -> str:
    """open | closed (outside its hours) | full (its daily limit reached)."""
    if not service.get("open", True):
        return "closed"
    limit = service.get("daily_limit")
    if limit is not None and service.get("issued_today", 0) >= limit:
        return "full"
    return "open"


def hours_text(service: dict, t: Callable[[str], str]) -> str:
    """"Mon-Fri 08:30-12:00, 13:30-17:30" in the language of `t` (a gettext); "" if unknown."""
    hours = ", ".join(service.get("hours") or [])
    if not hours:
        return ""
    days = sorted(DAYS.index(d) for d in service.get("days") or [] if d in DAYS)
    if not days or len(days) == 7:
        return hours
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names = [t(DAY_NAMES[r[0]]) if len(r) == 1 else
             t("{first} to {last}").format(first=t(DAY_NAMES[r[0]]), last=t(DAY_NAMES[r[-1]]))
             for r in runs]
    return t("{days} {hours}").format(days=t(", ").join(names), hours=hours)


def find(snapshot: dict | None, service_id: str) -> dict | None:
    return next((s for s in (snapshot or {}).get("services", []) if s.get("id") == service_id), None)
