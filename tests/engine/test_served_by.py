"""Who served a ticket (`Ticket.staff`, what reports by staff count): the member of staff who
worked its window in person, whether they pressed the console's buttons or the window's keys
did it for them; nobody's while it waits again; a supervisor calling out of order from afar
does not take the window."""
from __future__ import annotations

from helpers import FakeClock, small_hall

from hallcall.server.audit import Actor
from hallcall.server.hub import Hub
from hallcall.server.store.memory import MemoryStore
from hallcall.server.web.serialize import event_json

KEYS = Actor("device", "b1")
ANN, BO, LEAD = Actor("staff", "ann"), Actor("staff", "bo"), Actor("staff", "lead")


def a_hub() -> Hub:
    hub = Hub(small_hall(), MemoryStore(event_json), clock=FakeClock(step=30))
    hub.start(follow=False)
    return hub


def staff_of(hub: Hub, number: str) -> str | None:
    with hub.store.read(hub.config) as tx:
        return next(t.staff for t in tx.all_tickets() if t.number == number)


def window_staff(hub: Hub, window: str) -> str | None:
    with hub.store.read(hub.config) as tx:
        return tx.window_state(window).staff


def test_the_keys_act_for_whoever_worked_the_window_in_person():
    hub = a_hub()
    for _ in range(3):
        hub.issue("a")
    hub.act("1", "call-next", actor=KEYS)  # nobody has worked window 1 yet
    assert staff_of(hub, "A001") is None
    hub.act("1", "finish", actor=ANN)  # Ann signs in at the console and ends the visit
    assert staff_of(hub, "A001") == "ann" and window_staff(hub, "1") == "ann"
    hub.act("1", "call-next", actor=KEYS)
    hub.act("1", "start", actor=KEYS)
    hub.act("1", "finish", actor=KEYS, rating="satisfied")
    assert staff_of(hub, "A002") == "ann"
    hub.act("1", "call-next", actor=BO)  # Bo takes over the window
    assert staff_of(hub, "A003") == "bo" and window_staff(hub, "1") == "bo"


def test_a_ticket_that_leaves_the_window_is_nobodys_until_called_again():
    hub = a_hub()
    hub.issue("a")
    hub.issue("a")
    hub.act("1", "call-next", actor=ANN)
    hub.act("1", "no-show", actor=KEYS, requeue=True)
    assert staff_of(hub, "A001") is None
    hub.act("1", "call-next", actor=KEYS)  # A002
    hub.act("1", "transfer", actor=KEYS, service="b")
    assert staff_of(hub, "A002") is None
    hub.act("3", "call-next", actor=BO)  # window 3 serves b: A002 there, by Bo
    assert staff_of(hub, "A002") == "bo"
    hub.act("1", "call-next", actor=KEYS)  # A001 again, at Ann's window
    hub.act("1", "no-show", actor=KEYS)  # a no-show for good stays at the window, Ann's
    assert staff_of(hub, "A001") == "ann"


def test_a_supervisor_calling_from_afar_does_not_take_the_window():
    hub = a_hub()
    for _ in range(3):
        hub.issue("a")
    hub.act("1", "call-next", actor=ANN)
    hub.act("1", "call", actor=LEAD, number="A003")  # finishes A001, calls A003 at Ann's window
    assert window_staff(hub, "1") == "ann"
    assert staff_of(hub, "A001") == "ann" and staff_of(hub, "A003") == "ann"


def test_a_later_rating_changes_nobody_and_closing_leaves_the_window_nobodys():
    hub = a_hub()
    hub.issue("a")
    hub.act("1", "call-next", actor=ANN)
    hub.act("1", "finish", actor=ANN)
    hub.act("1", "rate", actor=KEYS, rating="basic")
    assert staff_of(hub, "A001") == "ann"
    hub.act("1", "close", actor=ANN)
    assert window_staff(hub, "1") is None


def test_a_new_hall_day_starts_with_nobody_at_the_windows():
    hub = a_hub()
    hub.issue("a")
    hub.act("1", "call-next", actor=ANN)
    hub.act("1", "finish", actor=ANN)
    hub.close_day()
    assert window_staff(hub, "1") is None


def test_who_works_a_window_survives_a_restart_of_the_hub(make_hub):
    """On the real store: the window's member of staff and each ticket's are columns (0006)."""
    hub = make_hub(small_hall())
    hub.issue("a")
    hub.issue("a")
    hub.act("1", "call-next", actor=ANN)
    hub.stop()
    again = make_hub(small_hall())  # the same file, as after a restart
    again.act("1", "call-next", actor=KEYS)
    assert staff_of(again, "A001") == "ann" and staff_of(again, "A002") == "ann"
