"""The one place a board's process is wired: the feed that follows the hub, and the announcer
(its voice and speaker, made once the first snapshot has said the hall's languages and
templates), handed to the pygame shell."""
from __future__ import annotations

import os
import queue
import time
from functools import partial
from pathlib import Path

from hallcall.hallclient.feed import HubFeed


def speech_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hallcall" / "speech"


def make_announcer(snapshot: dict, speak_to: str | None):
    """The announcer with the hall's settings (languages, templates, voices, repeat)."""
    from .announcer import Announcer
    settings = snapshot.get("announcer") or {}
    announcer = Announcer(speech_cache(), languages=settings.get("languages") or ("zh", "en"),
                          templates=settings.get("templates"), voices=settings.get("voices"),
                          repeat=settings.get("repeat") or 1,
                          speak_to=Path(speak_to) if speak_to else None)
    announcer.follow(settings)  # `enabled` too
    return announcer


TOKEN_ENV = "HALLCALL_DISPLAY_TOKEN"


def build_board(hub_url: str, size=(1920, 1080), *, window: str | None = None,
                windowed: bool = False, announce: bool = False, speak_to: str | None = None,
                shots_to: str | None = None, clock=time.monotonic, now=None,
                retry_s: float = 1.0, timeout: float = 20.0, token: str | None = None):
    """A wall board (or, with `window`, the screen above one window) following `hub_url`;
    `announce` or `speak_to` also speaks each call (to the speakers, or as WAVs into a folder).
    `token` (default: $HALLCALL_DISPLAY_TOKEN), a display device's: the board reads only public
    endpoints, but with its token the staff see it online while its stream is connected."""
    from .board import DisplayApp
    token = token or os.environ.get(TOKEN_ENV) or None
    feed = HubFeed(hub_url, queue.Queue(), retry_s=retry_s, timeout=timeout, token=token)
    announcer = partial(make_announcer, speak_to=speak_to) if announce or speak_to else None
    return DisplayApp(feed, size, window=window, windowed=windowed, make_announcer=announcer,
                      shots_to=shots_to, clock=clock, now=now)
