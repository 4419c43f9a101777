from datetime import datetime, timedelta

from helpers import SHANGHAI

from hallcall.server.engine import estimate
from hallcall.server.engine.model import Ticket

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)


def t(seq, priority="normal", status="waiting"):
    at = T0 + timedelta(minutes=seq)
    return Ticket(id=str(seq), number=f"A{seq:03d}", seq_no=seq, day="d", service="a",
                  origin_service="a", priority=priority, status=status, issued_at=at, queued_at=at,
                  token=str(seq))


def test_people_ahead_counts_green_tickets_and_earlier_ones():
    queue = [t(1), t(2), t(3, "green"), t(4)]
    assert estimate.ahead_of(queue[3], queue) == 3
    assert estimate.ahead_of(queue[0], queue) == 1  # the green ticket goes first
    assert estimate.ahead_of(queue[2], queue) == 0
    assert estimate.ahead_of(t(5, status="called"), queue) == 0


def test_wait_uses_recent_service_times_shared_by_open_windows():
    assert estimate.average_service_s([], 5) == 300
    assert estimate.average_service_s([100, 200, 0], 5) == 150
    assert estimate.estimated_wait_s(4, 150, 2) == 300
    assert estimate.estimated_wait_s(3, 100, 0) == 300  # all windows paused: still an estimate
    assert estimate.estimated_wait_s(0, 100, 1) == 0
