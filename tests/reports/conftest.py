"""Fixtures of the report tests: the report hall (support.py) and a clock that moves only when
told, so every wait is known to the second."""
from __future__ import annotations

import pytest
from helpers import FakeClock
from reports.support import report_hall


@pytest.fixture
def clock():
    return FakeClock(step=0)


@pytest.fixture
def hall():
    return report_hall()


@pytest.fixture
def hub(make_hub, hall):
    return make_hub(config=hall)
