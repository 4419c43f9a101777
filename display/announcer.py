"""The announcer: speaks each call, one at a time, in call order, never cut off, never dropped.

One worker thread owns the speech engine and the speaker. Calls queue up in the order they
arrive; each becomes one WAV (chime, then each language's sentence, `repeat` times) that is played
to its end before the next starts — or, with `speak_to`, written into that folder instead (for
machines without speakers, and to check what was said).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from hallcall.events import CALL_TYPES

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
    words: bool = True  # False: its speech could not be made, and the chime alone was played
    tries: int = 1  # how many times its speech was made before it worked (or was given up)


class Announcer:
    """`voice` is a speech engine, `phrase(lang, text) -> (wav, cached)`; by default espeak-ng
    (or the recorded `clips`), made in the worker. A call whose speech fails is tried `tries`
    times, waiting `backoff_s`, then twice that, …, between tries (a loaded Pi, a hiccup of the
    SD card); then its chime plays alone and the log names its number. The calls after it wait
    at most those back-offs: the queue always goes on."""

    def __init__(self, cache_dir: Path, languages=("zh", "en"), templates: dict | None = None,
                 voices: dict | None = None, repeat: int = 1, speak_to: Path | None = None,
                 clips: Path | None = None, voice=None, tries: int = 3, backoff_s: float = 0.5):
        self.cache = Path(cache_dir)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.languages, self.templates, self.voices = tuple(languages), templates, voices
        self.repeat, self.enabled = repeat, True
        self.speak_to = Path(speak_to) if speak_to else None
        if self.speak_to:
            self.speak_to.mkdir(parents=True, exist_ok=True)
        self.clips = Path(clips) if clips else None
        self.voice, self.tries, self.backoff_s = voice, max(1, tries), backoff_s
        self.spoken: list[Spoken] = []
        self._queue: queue.Queue[Announcement | None] = queue.Queue()
        self._seen: set[int] = set()
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    def follow(self, settings: dict) -> None:
        """Take the hall's announcer settings of a new snapshot (`/api/hall`'s `announcer`): an
        administrator's change of the templates, languages, voices or repeat is heard from the
        next call on, without a restart; `enabled: false` silences the calls."""
        self.languages = tuple(settings.get("languages") or self.languages)
        self.templates = settings.get("templates")
        self.voices = settings.get("voices")
        self.repeat = settings.get("repeat") or 1
        self.enabled = settings.get("enabled", True) is not False

    def announce_event(self, event: dict) -> None:
        """Queue a ticket.called / ticket.recalled event (each event sequence number once)."""
        seq = event.get("seq")
        if seq in self._seen or event.get("type") not in CALL_TYPES or not self.enabled:
            return
        number = (event.get("ticket") or {}).get("number")
        window = event.get("window") or {}
        if not number or "name" not in window:
            log.warning("call event %s has no ticket number or window: not announced", seq)
            return
        self._seen.add(seq)
        self._queue.put(Announcement(seq, number, window))

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
        voice = self.voice or self._make_voice()
        player = self._make_player()
        self._warm_up(voice)
        count = 0
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    break
                count += 1
                self._announce(voice, player, item, count)
            except Exception:  # a bad call must not silence the hall for the rest of the day
                log.exception("announcement %s (window %s) failed: not heard", item.number,
                              item.window.get("id"))
            finally:
                self._queue.task_done()
        if player is not None:
            player.close()

    def _make_voice(self):
        try:
            if self.clips:
                return speech.ClipVoice(self.clips, self.cache)
            return speech.EspeakVoice(self.cache, self.voices)
        except Exception as e:  # every call still gets its chime, and the log says why
            log.error("no speech: %s; calls get the chime only", e)
            return None

    def _warm_up(self, voice) -> None:
        """The chime and the voices, ready before the first call (which otherwise waits for them)."""
        try:
            speech.chime(self.cache / "chime.wav")
            if hasattr(voice, "warm_up"):
                voice.warm_up(self.languages)
        except Exception as e:  # each call tries again, and its own log line names its number
            log.error("speech is not ready: %s", e)

    def _make_player(self):
        if self.speak_to:
            return None
        try:
            return _Player()
        except Exception as e:
            log.error("no sound output (%s): calls are shown but not heard", e)
            return _Silent()

    def _announce(self, voice, player, item: Announcement, count: int) -> None:
        # Made (or checked) for each call, so a cache that could not be written once costs
        # that call, not every call after it.
        chime = speech.chime(self.cache / "chime.wav")
        folder = self.speak_to or self.cache
        out = folder / f"{count:04d}-{item.number}-window-{item.window.get('id')}.wav"
        path, cached, tries, problem = None, True, 0, "no speech engine"
        while voice is not None and path is None and tries < self.tries:
            tries += 1
            try:
                path, cached = self._render(voice, chime, item, out)
            except Exception as e:
                problem = f"{type(e).__name__}: {e}"
                if tries < self.tries:
                    delay = self.backoff_s * 2 ** (tries - 1)
                    log.warning("announcement %s (window %s): speech failed, try %d of %d (%s); "
                                "trying again in %.1f s", item.number, item.window.get("id"),
                                tries, self.tries, problem, delay)
                    time.sleep(delay)
        words = path is not None
        if not words:
            log.error("announcement %s (window %s) could not be spoken after %d tries (%s): "
                      "playing the chime alone", item.number, item.window.get("id"), tries, problem)
            path, cached = speech.join([chime], out), False
        started = time.monotonic()
        seconds = _duration(path)
        if player is not None:
            player.play(path, seconds)
        self.spoken.append(Spoken(item.seq, item.number, path, seconds, cached,
                                  started - item.queued_at, words, max(tries, 1)))

    def _render(self, voice, chime: Path, item: Announcement, out: Path) -> tuple[Path, bool]:
        if hasattr(voice, "use_voices"):
            voice.use_voices(self.voices)  # the hall's voices may have changed since the last call
        parts, cached = [], True
        for lang, text in speech.sentences(item.number, item.window["name"], self.languages,
                                            self.templates):
            path, hit = voice.phrase(lang, text)
            parts.append(path)
            cached = cached and hit
        if not parts:
            raise speech.SpeechError(f"no sentence in the languages {self.languages}")
        return speech.join([chime] + parts * self.repeat, out), cached


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


class _Silent:
    """No sound device: the calls are still rendered, logged and counted, just not heard."""

    def play(self, path: Path, seconds: float) -> None:
        pass

    def close(self) -> None:
        pass
