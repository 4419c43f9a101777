"""The words of an announcement, and the sound of them: sentences from templates, a chime made in
code, speech from the espeak-ng command (cached as WAV by text and voice, every WAV checked) or
from a hall's own recorded clips, and joining it all into one WAV."""
from __future__ import annotations

import array
import hashlib
import logging
import math
import os
import shutil
import subprocess
import wave
from pathlib import Path

log = logging.getLogger(__name__)

RATE = 22050  # espeak-ng's own rate: no resampling when joining
DEFAULT_TEMPLATES = {"zh": "请{number}号到{window}办理", "en": "Ticket {number}, please go to {window}"}
DEFAULT_VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}
ZH_DIGITS = "零一二三四五六七八九"


def spoken_number(number: str, lang: str) -> str:
    """Ticket digits one by one ("A023" → "A 0 2 3"); in Chinese as characters, since the
    Mandarin voices read Arabic digits as English or as tone marks."""
    if lang == "zh":
        return "".join(ZH_DIGITS[int(c)] if c.isdigit() else c for c in number)
    return " ".join(number)


def spoken_window(name: str, lang: str) -> str:
    if lang == "zh":
        return "".join(ZH_DIGITS[int(c)] if c.isdigit() else c for c in name)
    return name


def sentences(number: str, window_name: dict, languages,
              templates: dict | None = None) -> list[tuple[str, str]]:
    """[(lang, sentence)] for one call, in the configured languages' order."""
    templates = {**DEFAULT_TEMPLATES, **(templates or {})}
    return [(lang, templates[lang].format(number=spoken_number(number, lang),
                                          window=spoken_window(window_name.get(lang, ""), lang)))
            for lang in languages if lang in templates]


def chime(path: Path) -> Path:
    """A two-note ding-dong, made here so no sound file has to ship."""
    if path.exists():
        try:
            check_wav(path)
            return path
        except BadWav:
            pass  # made again below
    samples = array.array("h")
    for freq, seconds in ((880.0, 0.35), (659.25, 0.55)):
        n = int(RATE * seconds)
        for i in range(n):
            envelope = math.exp(-3.0 * i / n)
            samples.append(int(12000 * envelope * math.sin(2 * math.pi * freq * i / RATE)))
    samples.extend([0] * int(RATE * 0.15))
    write_wav(path, samples.tobytes())
    return path


def write_wav(path: Path, frames: bytes) -> None:
    tmp = path.with_suffix(".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)
    os.replace(tmp, path)  # a half-written file is never taken for a cached phrase


def read_frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            raise ValueError(f"{path}: needs 16-bit mono {RATE} Hz audio")
        return w.readframes(w.getnframes())


def join(parts: list[Path], out: Path, gap_s: float = 0.25) -> Path:
    gap = bytes(int(RATE * gap_s) * 2)
    write_wav(out, gap.join(read_frames(p) for p in parts))
    return out


class SpeechError(RuntimeError):
    """A sentence could not be made into sound, even after its retries."""


class BadWav(ValueError):
    """A WAV that is not whole speech: empty, cut short, or in another format."""


MIN_SPEECH_S = 0.1  # espeak-ng writes a 7 ms WAV for an empty text: that is not a sentence


def check_wav(path: Path) -> float:
    """The WAV's length in seconds, if it is whole 16-bit mono speech at RATE; BadWav if not.

    A file cut short still has a header that promises all its frames (espeak-ng writes the sizes
    last), so the frames are counted, not taken from the header."""
    try:
        with wave.open(str(path), "rb") as w:
            params = (w.getnchannels(), w.getsampwidth(), w.getframerate())
            promised = w.getnframes()
            frames = w.readframes(promised)
    except (EOFError, wave.Error, OSError) as e:
        raise BadWav(f"{path.name}: not a readable WAV ({e or type(e).__name__})") from None
    if params != (1, 2, RATE):
        raise BadWav(f"{path.name}: {params[0]} channel(s), {8 * params[1]}-bit, {params[2]} Hz; "
                     f"needs 16-bit mono {RATE} Hz")
    if len(frames) != promised * 2:
        raise BadWav(f"{path.name}: cut short ({len(frames) // 2} of {promised} frames)")
    if promised < MIN_SPEECH_S * RATE:
        raise BadWav(f"{path.name}: {promised} frames, too short to be speech")
    return promised / RATE


class EspeakVoice:
    """Sentences through espeak-ng's own command line, one process per uncached sentence.

    Not pyttsx3 (2.99): its espeak driver synthesises in espeak-ng's asynchronous RETRIEVAL
    mode, and the WAV is written by a callback on espeak-ng's own thread (which first needs the
    GIL). runAndWait() waits for that callback only by luck of its command queue: a fresh engine
    is "busy", so its first runAndWait queues the endLoop command behind save_to_file, and the
    driver's loop runs it *before* starting the synthesis, sleeps 10 ms once and returns; the
    first sentence of a fresh start is then often not written yet (4 or 5 of 12 fresh
    starts here, and the test in tests/display/test_speech.py). Later calls wait, but with no
    deadline, and a synthesis that is late or stuck cannot be abandoned: its callback writes
    into whatever file the next save_to_file names. A process has finished when it exits, can be
    killed at a deadline and shares nothing with the next one. It costs ~25 ms a sentence on an
    idle core here (pyttsx3: ~20), 30-70 ms with both cores loaded (pyttsx3: ~17): a start-up
    cost well inside the 1 s budget of an uncached call. Its WAVs are pyttsx3's, byte for byte
    (same library, pyttsx3's rate of 200).
    """

    WPM = 200  # pyttsx3's rate: sentences cached before this change sound the same

    def __init__(self, cache: Path, voices: dict | None = None, *, command: str = "espeak-ng",
                 timeout_s: float = 10.0, attempts: int = 2):
        self.program = shutil.which(command)
        if self.program is None:
            raise SpeechError(f"{command} is not installed (Debian: apt-get install espeak-ng)")
        self.cache = Path(cache)
        self.use_voices(voices)
        # A sentence takes tens of ms; the deadline is for a hung process on a loaded Pi.
        self.timeout_s, self.attempts = timeout_s, attempts

    def use_voices(self, voices: dict | None) -> None:
        """The voice per language from now on (the hall's [announcer] voices over the defaults);
        the cache is keyed by voice too, so a changed voice never replays the old one's WAV."""
        self.voices = {**DEFAULT_VOICES, **(voices or {})}

    def path_of(self, lang: str, text: str) -> Path:
        voice = self.voices.get(lang, lang)
        key = hashlib.sha1(f"{voice}\0{text}".encode()).hexdigest()[:20]
        return self.cache / f"{lang}-{key}.wav"

    def phrase(self, lang: str, text: str) -> tuple[Path, bool]:
        """(WAV of the sentence, whether it came from the cache); SpeechError if it cannot be made."""
        path = self.path_of(lang, text)
        if path.exists():
            try:
                check_wav(path)
                return path, True
            except BadWav as e:  # e.g. a file damaged on the SD card: make it again
                log.warning("cached speech %s is damaged (%s): making it again", path.name, e)
                path.unlink(missing_ok=True)
        problems = []
        for attempt in range(1, self.attempts + 1):
            # Each try its own file, so a late or half write is never taken for a finished one.
            tmp = path.with_name(f"{path.stem}.{os.getpid()}-{attempt}.part")
            try:
                self._synthesise(self.voices.get(lang, lang), text, tmp)
                check_wav(tmp)
                os.replace(tmp, path)  # the cache only ever holds whole, checked WAVs
                return path, False
            except (BadWav, OSError, subprocess.SubprocessError) as e:
                problems.append(str(e))
                log.warning("speech for %r (%s), try %d of %d: %s", text, lang, attempt,
                            self.attempts, e)
            finally:
                tmp.unlink(missing_ok=True)
        raise SpeechError(f"could not synthesise {text!r} ({lang}): {'; '.join(problems)}")

    def warm_up(self, languages) -> None:
        """Load each language's voice once (its dictionary: 1.6 MB for Mandarin) so the first call
        does not wait for the SD card, and say now, not at the first call, if one is missing."""
        for lang in languages:
            voice = self.voices.get(lang, lang)
            done = subprocess.run([self.program, "-q", "-v", voice, "-b", "1", "--", "0"],
                                  capture_output=True, timeout=self.timeout_s, check=False)
            if done.returncode != 0:
                raise SpeechError(f"espeak-ng voice {voice!r} ({lang}): "
                                  f"{done.stderr.decode(errors='replace').strip()}")

    def _synthesise(self, voice: str, text: str, out: Path) -> None:
        done = subprocess.run([self.program, "-v", voice, "-s", str(self.WPM), "-b", "1",
                               "-w", str(out), "--", text],
                              capture_output=True, timeout=self.timeout_s, check=False)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).decode(errors="replace").strip()
            raise subprocess.SubprocessError(f"espeak-ng exited with {done.returncode}: {said}")
        # espeak-ng exits 0 when it cannot write the file: check_wav() is what says it worked.


class ClipVoice:
    """A hall's own recordings: one WAV per word or character (请, 号, 到, 窗口, 办理, 0-9, A-Z, …),
    joined by longest match. A missing piece is an error, not silence."""

    def __init__(self, folder: Path, out_dir: Path | None = None):
        self.out_dir = Path(out_dir) if out_dir else Path(folder)
        self.clips = {p.stem: p for p in folder.glob("*.wav")}
        if not self.clips:
            raise ValueError(f"{folder}: no .wav clips")
        self.longest = max(len(k) for k in self.clips)

    def pieces(self, text: str) -> list[Path]:
        out, i = [], 0
        text = text.replace(" ", "").replace(",", "").replace("，", "")
        while i < len(text):
            for size in range(min(self.longest, len(text) - i), 0, -1):
                word = text[i:i + size]
                # Digits may be recorded as 0-9 or as 零-九: either serves.
                alias = (str(ZH_DIGITS.index(word)) if word in ZH_DIGITS else
                         ZH_DIGITS[int(word)] if word.isdigit() and size == 1 else None)
                clip = (self.clips.get(word) or self.clips.get(word.lower())
                        or (self.clips.get(alias) if alias else None))
                if clip:
                    out.append(clip)
                    i += size
                    break
            else:
                raise ValueError(f"no recorded clip for {text[i]!r} in {text!r}")
        return out

    def phrase(self, lang: str, text: str) -> tuple[Path, bool]:
        """(WAV of the sentence, True): like EspeakVoice's, the recordings being its cache."""
        key = hashlib.sha1(text.encode()).hexdigest()[:20]
        return join(self.pieces(text), self.out_dir / f"clips-{lang}-{key}.wav", gap_s=0.02), True
