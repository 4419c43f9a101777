"""The announcer: speaks each call, one at a time, in call order, never cut off, never dropped.

One announcer per process (pyttsx3 keeps one engine per process). One worker thread owns the
speech engine (pyttsx3 must be driven from one thread) and the
speaker. Calls queue up in the order they arrive; each becomes one WAV (chime, then each language's
sentence, `repeat` times) that is played to its end before the next starts — or, with `speak_to`,
written into that folder instead (for machines without speakers, and to check what was said).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import speech

log = logging.getLogger(__name__)


@dataclass
class Announcement:
    seq: int
    number: str
    window: dict  # {"id": ..., "name": {"zh": ..., "en": ...}}
    queued_at: float = field(default_factory=time.monotonic)


@dataclass
class Spoken:
    """What the announcer did with one call (tests and the bench read these)."""
    seq: int
    number: str
    path: Path
    seconds: float
    cached: bool
    started_after_s: float  # from the call reaching the announcer to its sound starting


class Announcer:
    def __init__(self, cache_dir: Path, languages=("zh", "en"), templates: dict | None = None,
                 voices: dict | None = None, repeat: int = 1, speak_to: Path | None = None,
                 clips: Path | None = None):
        self.cache = Path(cache_dir)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.languages, self.templates, self.voices = tuple(languages), templates, voices
        self.repeat = repeat
        self.speak_to = Path(speak_to) if speak_to else None
        if self.speak_to:
            self.speak_to.mkdir(parents=True, exist_ok=True)
        self.clips = Path(clips) if clips else None
        self.spoken: list[Spoken] = []
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._seen: set[int] = set()
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    def announce_event(self, event: dict) -> None:
        """Queue a ticket.called / ticket.recalled event (each event sequence number once)."""
        seq = event.get("seq")
        if seq in self._seen or event.get("type") not in ("ticket.called", "ticket.recalled"):
            return
        self._seen.add(seq)
        self._queue.put(Announcement(seq, event["ticket"]["number"], event["window"]))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued has been spoken (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while (self._queue.unfinished_tasks) and time.monotonic() < deadline:
            time.sleep(0.02)
        return self._queue.unfinished_tasks == 0

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    # -- the worker -----------------------------------------------------------------------

    def _run(self) -> None:
        voice = speech.ClipVoice(self.clips) if self.clips else speech.EspeakVoice(self.cache, self.voices)
        player = None if self.speak_to else _Player()
        chime = speech.chime(self.cache / "chime.wav")
        count = 0
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                count += 1
                path, cached = self._render(voice, chime, item, count)
                started = time.monotonic()
                seconds = _duration(path)
                if player is not None:
                    player.play(path, seconds)
                self.spoken.append(Spoken(item.seq, item.number, path, seconds, cached,
                                          started - item.queued_at))
            except Exception:  # a bad call must not silence the hall for the rest of the day
                log.exception("announcement %s failed", item and item.number)
            finally:
                self._queue.task_done()
        if player is not None:
            player.close()

    def _render(self, voice, chime: Path, item: Announcement, count: int) -> tuple[Path, bool]:
        parts, cached = [chime], True
        for lang, text in speech.sentences(item.number, item.window["name"], self.languages,
                                            self.templates):
            if isinstance(voice, speech.ClipVoice):
                parts.append(voice.phrase(lang, text, self.cache))
            else:
                path, hit = voice.phrase(lang, text)
                parts.append(path)
                cached = cached and hit
        parts = [parts[0]] + parts[1:] * self.repeat
        folder = self.speak_to or self.cache
        out = folder / f"{count:04d}-{item.number}-window-{item.window['id']}.wav"
        return speech.join(parts, out), cached


def _duration(path: Path) -> float:
    import wave
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


class _Player:
    """pygame.mixer at the speech's own rate; plays one sound to its end."""

    def __init__(self):
        import pygame
        pygame.mixer.pre_init(speech.RATE, -16, 1)
        pygame.mixer.init()
        self.pygame = pygame

    def play(self, path: Path, seconds: float) -> None:
        channel = self.pygame.mixer.Sound(str(path)).play()
        # Wait it out: the next call must not cut this one off.
        deadline = time.monotonic() + seconds + 2
        while channel is not None and channel.get_busy() and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self) -> None:
        self.pygame.mixer.quit()
