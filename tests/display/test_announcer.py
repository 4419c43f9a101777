"""The announcer with real espeak-ng speech: in order, once each, whole, and spoken again on a
recall. Announcements are written as WAV files (--speak-to) and measured."""
from __future__ import annotations

import array
import math
import shutil
import wave

import pytest

from hallcall.display import speech
from hallcall.display.announcer import Announcer

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def call(seq, number, window, kind="ticket.called"):
    return {"seq": seq, "type": kind, "ticket": {"number": number},
            "window": {"id": window, "name": {"zh": f"{window}号窗口", "en": f"Window {window}"}}}


def loudness(path):
    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
        seconds = w.getnframes() / w.getframerate()
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    return seconds, rms


def test_calls_in_quick_succession_are_spoken_in_order_once_each_and_whole(tmp_path):
    out = tmp_path / "spoken"
    announcer = Announcer(tmp_path / "cache", speak_to=out)
    try:
        events = [call(1, "A023", "3"), call(2, "B101", "12"), call(3, "A024", "4"),
                  call(2, "B101", "12"),  # the same event again (a reconnect): not twice
                  call(4, "A023", "3", "ticket.recalled")]
        for e in events:
            announcer.announce_event(e)
        assert announcer.wait_idle(60)
    finally:
        announcer.close()
    assert [(s.seq, s.number) for s in announcer.spoken] == [(1, "A023"), (2, "B101"), (3, "A024"),
                                                              (4, "A023")]
    files = sorted(out.glob("*.wav"))
    assert [f.name for f in files] == ["0001-A023-window-3.wav", "0002-B101-window-12.wav",
                                       "0003-A024-window-4.wav", "0004-A023-window-3.wav"]
    for f in files:
        seconds, rms = loudness(f)
        # chime (~1 s) + a Chinese and an English sentence: several seconds, clearly not silent
        assert 4 < seconds < 20 and rms > 500, (f.name, seconds, rms)
    assert announcer.spoken[3].cached  # the recall reuses the cached sentences
    assert files[0].read_bytes() == files[3].read_bytes()


def test_each_language_sentence_follows_the_template():
    said = speech.sentences("A023", {"zh": "3号窗口", "en": "Window 3"}, ("zh", "en"))
    assert said == [("zh", "请A零二三号到三号窗口办理"), ("en", "Ticket A 0 2 3, please go to Window 3")]
    custom = speech.sentences("B7", {"zh": "7号窗口"}, ("zh",), {"zh": "{number}号请到{window}"})
    assert custom == [("zh", "B七号请到七号窗口")]


def test_repeat_says_it_twice(tmp_path):
    spoken = []
    for repeat, name in ((1, "one"), (2, "two")):
        a = Announcer(tmp_path / f"c{repeat}", languages=("en",), repeat=repeat, speak_to=tmp_path / name)
        a.announce_event(call(1, "C005", "5"))
        assert a.wait_idle(30)
        a.close()
        spoken.append(a)
    once, twice = spoken
    one, _ = loudness(once.spoken[0].path)
    two, _ = loudness(twice.spoken[0].path)
    assert two > one + 1.0


def test_recorded_clips_are_joined(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    voice = speech.EspeakVoice(tmp_path / "tts")
    (tmp_path / "tts").mkdir()
    for word in ["请", "号", "到", "窗口", "办理", "A", "0", "2", "3"]:
        path, _ = voice.phrase("zh", word)
        shutil.copy(path, clips / f"{word}.wav")
    announcer = Announcer(tmp_path / "cache", languages=("zh",), speak_to=tmp_path / "out", clips=clips)
    announcer.announce_event(call(1, "A023", "3"))
    assert announcer.wait_idle(30)
    announcer.close()
    seconds, rms = loudness(announcer.spoken[0].path)
    assert seconds > 2 and rms > 500
    with pytest.raises(ValueError, match="no recorded clip"):
        speech.ClipVoice(clips).pieces("请B九号")


def test_played_through_the_mixer_to_the_end(tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    announcer = Announcer(tmp_path / "cache", languages=("zh",), templates={"zh": "{number}{window}"})
    announcer.announce_event(call(1, "A1", "1"))
    assert announcer.wait_idle(30)
    announcer.close()
    spoken = announcer.spoken[0]
    assert spoken.path.exists() and spoken.seconds > 1


class FlakyVoice:
    """Real espeak-ng speech behind the announcer's voice interface, failing its first `fails`
    sentences (or every sentence of the numbers in `never`), as a loaded Pi or a broken
    speech install does."""

    def __init__(self, cache, fails=0, never=()):
        self.real = speech.EspeakVoice(cache)
        self.fails, self.never, self.asked = fails, never, 0

    def phrase(self, lang, text):
        self.asked += 1
        if self.asked <= self.fails or any(speech.spoken_number(n, lang) in text for n in self.never):
            raise speech.SpeechError(f"could not synthesise {text!r}")
        return self.real.phrase(lang, text)


def test_speech_that_fails_at_first_is_tried_again_and_spoken_whole(tmp_path, caplog):
    (tmp_path / "cache").mkdir()
    voice = FlakyVoice(tmp_path / "cache", fails=2)
    announcer = Announcer(tmp_path / "cache", speak_to=tmp_path / "out", voice=voice, backoff_s=0.01)
    announcer.announce_event(call(1, "A001", "3"))
    assert announcer.wait_idle(30)
    announcer.close()
    (spoken,) = announcer.spoken
    assert spoken.words and spoken.tries == 3
    seconds, rms = loudness(spoken.path)
    assert 4 < seconds < 20 and rms > 500
    retries = [r for r in caplog.records
               if r.name == "hallcall.display.announcer" and r.levelname == "WARNING"]
    assert len(retries) == 2 and all("A001" in r.getMessage() for r in retries)


def test_a_call_that_cannot_be_spoken_gets_its_chime_a_logged_number_and_the_next_goes_on(tmp_path, caplog):
    (tmp_path / "cache").mkdir()
    voice = FlakyVoice(tmp_path / "cache", never=("B102",))
    out = tmp_path / "out"
    announcer = Announcer(tmp_path / "cache", speak_to=out, voice=voice, backoff_s=0.01)
    for e in (call(1, "A001", "3"), call(2, "B102", "12"), call(3, "A002", "4")):
        announcer.announce_event(e)
    assert announcer.wait_idle(60)
    announcer.close()
    assert [(s.number, s.words) for s in announcer.spoken] == [("A001", True), ("B102", False),
                                                                ("A002", True)]
    assert [f.name for f in sorted(out.glob("*.wav"))] == [
        "0001-A001-window-3.wav", "0002-B102-window-12.wav", "0003-A002-window-4.wav"]
    chime_only = announcer.spoken[1]
    assert chime_only.tries == 3
    assert chime_only.path.read_bytes()[44:] == speech.chime(tmp_path / "chime.wav").read_bytes()[44:]
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "B102" in errors[0] and "could not be spoken" in errors[0]


def test_without_espeak_every_call_still_gets_its_chime_and_an_error_line(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng to be found
    announcer = Announcer(tmp_path / "cache", speak_to=tmp_path / "out", backoff_s=0.01)
    announcer.announce_event(call(1, "A001", "3"))
    announcer.announce_event(call(2, "A002", "3"))
    assert announcer.wait_idle(30)
    announcer.close()
    assert [(s.number, s.words) for s in announcer.spoken] == [("A001", False), ("A002", False)]
    text = caplog.text
    assert "espeak-ng is not installed" in text and "A001" in text and "A002" in text


def test_the_halls_new_template_is_heard_from_the_next_call_and_disabled_is_silent(tmp_path):
    a = Announcer(tmp_path / "cache", languages=("en",), speak_to=tmp_path / "out")
    try:
        a.announce_event(call(1, "A001", "3"))
        assert a.wait_idle(30)
        # An administrator changes the hall's sentence: the board's next snapshot carries it.
        a.follow({"enabled": True, "languages": ["en"], "repeat": 1, "voices": {},
                  "templates": {"en": "Number {number}, to {window} now"}})
        a.announce_event(call(2, "A002", "3"))
        assert a.wait_idle(30)
        a.follow({"enabled": False, "languages": ["en"], "templates": {}})
        a.announce_event(call(3, "A003", "3"))
        assert a.wait_idle(30)
    finally:
        a.close()
    assert [s.number for s in a.spoken] == ["A001", "A002"]  # the third came while silenced
    # The second call was made of the new sentence (the cache holds what was synthesised).
    voice = speech.EspeakVoice(tmp_path / "cache")
    window = {"en": "Window 3"}
    new = speech.sentences("A002", window, ("en",), {"en": "Number {number}, to {window} now"})
    old = speech.sentences("A002", window, ("en",))
    assert voice.path_of(*new[0]).exists() and not voice.path_of(*old[0]).exists()
    assert a.spoken[1].words and not a.spoken[1].cached
