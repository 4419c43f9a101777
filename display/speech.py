"""The words of an announcement, and the sound of them: sentences from templates, a chime made in
code, speech from espeak-ng through pyttsx3 (cached as WAV by text and voice) or from a hall's own
recorded clips, and joining it all into one WAV."""
from __future__ import annotations

import array
import contextlib
import hashlib
import io
import math
import os
import wave
from pathlib import Path

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


def sentences(number: str, window_name: dict, languages, templates: dict | None = None) -> list[tuple[str, str]]:
    """[(lang, sentence)] for one call, in the configured languages' order."""
    templates = {**DEFAULT_TEMPLATES, **(templates or {})}
    return [(lang, templates[lang].format(number=spoken_number(number, lang),
                                          window=spoken_window(window_name.get(lang, ""), lang)))
            for lang in languages if lang in templates]


def chime(path: Path) -> Path:
    """A two-note ding-dong, made here so no sound file has to ship."""
    if path.exists():
        return path
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


class EspeakVoice:
    """pyttsx3 on espeak-ng. One engine per process, used from one thread only (DESIGN.md), and
    one file per runAndWait(): two save_to_file calls before one run write only the last."""

    def __init__(self, cache: Path, voices: dict | None = None):
        import pyttsx3
        self.engine = pyttsx3.init("espeak")
        self.cache = cache
        self.voices = {**DEFAULT_VOICES, **(voices or {})}

    def phrase(self, lang: str, text: str) -> tuple[Path, bool]:
        """(WAV of the sentence, whether it came from the cache)."""
        voice = self.voices.get(lang, lang)
        key = hashlib.sha1(f"{voice}\0{text}".encode()).hexdigest()[:20]
        path = self.cache / f"{lang}-{key}.wav"
        if path.exists():
            return path, True
        tmp = self.cache / f"{lang}-{key}.tts.wav"
        self.engine.setProperty("voice", voice)
        self.engine.save_to_file(text, str(tmp))
        with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to …"
            self.engine.runAndWait()
        write_wav(path, read_frames(tmp))
        tmp.unlink()
        return path, False


class ClipVoice:
    """A hall's own recordings: one WAV per word or character (请, 号, 到, 窗口, 办理, 0-9, A-Z, …),
    joined by longest match. A missing piece is an error, not silence."""

    def __init__(self, folder: Path):
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

    def phrase(self, lang: str, text: str, out_dir: Path) -> Path:
        key = hashlib.sha1(text.encode()).hexdigest()[:20]
        return join(self.pieces(text), out_dir / f"clips-{lang}-{key}.wav", gap_s=0.02)
