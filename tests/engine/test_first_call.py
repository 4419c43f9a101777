"""The first call is kept: whatever happens to a ticket after it is first called (a recall, a
no-show requeued and called again, a transfer called at another window, a call out of order),
`first_called_at` stays the time of that first call, and `called_at` (the latest) never
precedes it. A ticket never called has neither."""
from __future__ import annotations

from helpers import FakeClock, small_hall
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallcall.server.engine.model import DomainError
from hallcall.server.hub import Hub
from hallcall.server.store.memory import MemoryStore
from hallcall.server.web.serialize import event_json, ticket_json

HALL = small_hall()
WINDOWS = [w.id for w in HALL.windows]
STEPS = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(["a", "b", "c"])),
    st.tuples(st.just("act"), st.sampled_from(WINDOWS),
              st.sampled_from(["call-next", "call-next", "recall", "start", "finish", "no-show",
                               "no-show-requeue", "transfer", "call"]),
              st.sampled_from(["a", "b", "c"])),
)


def run(hub, step):
    if step[0] == "issue":
        hub.issue(step[1], "normal")
        return
    _, window, action, service = step
    if action == "call":  # a supervisor's choice: the first waiting ticket of the window's
        with hub.store.read(hub.config) as tx:
            waiting = [t for t in tx.all_tickets() if t.status == "waiting"
                       and t.service in hub.window(window).services]
        if not waiting:
            return
        hub.act(window, "call", number=waiting[-1].number)
    elif action == "no-show-requeue":
        hub.act(window, "no-show", requeue=True)
    elif action == "transfer":
        hub.act(window, "transfer", service=service)
    else:
        hub.act(window, action)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEPS, min_size=1, max_size=60))
def test_the_first_call_is_kept_whatever_happens_after_it(steps):
    hub = Hub(HALL, MemoryStore(event_json), clock=FakeClock(step=20))
    hub.start(follow=False)
    first: dict[str, object] = {}  # ticket id -> the called_at seen right after its first call
    try:
        for step in steps:
            try:
                run(hub, step)
            except DomainError:
                pass
            with hub.store.read(hub.config) as tx:
                tickets = tx.all_tickets()
            for t in tickets:
                if t.called_at is not None:
                    first.setdefault(t.id, t.called_at)
                if t.id in first:
                    assert t.first_called_at == first[t.id], t
                    assert t.first_called_at <= t.called_at
                    assert ticket_json(t)["first_called_at"] == first[t.id].isoformat(timespec="seconds")
                else:
                    assert t.first_called_at is None and t.calls == 0
                assert t.latest_time() >= (t.first_called_at or t.issued_at)
    finally:
        hub.stop()


def test_a_requeued_no_show_called_again_keeps_its_first_call(clock):
    hub = Hub(HALL, MemoryStore(event_json), clock=clock)
    hub.start(follow=False)
    try:
        hub.issue("a", "normal")
        first = hub.act("1", "call-next").ticket
        assert first.first_called_at == first.called_at
        clock.advance(minutes=3)
        assert hub.act("1", "recall").ticket.first_called_at == first.called_at
        hub.act("1", "no-show", requeue=True)
        clock.advance(minutes=5)
        again = hub.act("2", "call-next").ticket
        assert again.id == first.id and again.calls == 3
        assert again.called_at > first.called_at and again.first_called_at == first.called_at
        hub.act("2", "transfer", service="b")
        later = hub.act("3", "call-next").ticket
        assert later.id == first.id and later.window == "3"
        assert later.first_called_at == first.called_at < again.called_at < later.called_at
    finally:
        hub.stop()
