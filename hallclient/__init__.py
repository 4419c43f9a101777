"""The one client of the hub shared by kiosks, displays, buttons, tests and benchmarks."""
from .api import HubClient, HubError
from .events import EventStream, HubEvent

__all__ = ["HubClient", "HubError", "EventStream", "HubEvent"]
