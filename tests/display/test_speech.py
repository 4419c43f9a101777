"""Speech from real espeak-ng: every sentence a whole WAV, on a loaded machine as on an idle one,
and a damaged, half-written or missing WAV is never taken for a sentence."""
from __future__ import annotations

import array
import math
import shutil
import subprocess
import sys
import threading
import wave

import pytest

from hallcall.display import speech

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def frames_of(path):
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())


def loud(path):
    samples = array.array("h", frames_of(path))
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def _spin(stop):
    while not stop.is_set():
        pass


@pytest.mark.slow
def test_cold_sentences_on_a_busy_machine_are_each_whole_and_their_own(tmp_path):
    # What broke the board's calls: a cold cache, the first sentence of a freshly started voice
    # (pyttsx3 returned before its first WAV was written), in a process whose other threads
    # hold the GIL (render loop, event stream) on cores that other processes keep busy.
    zh = [("zh", f"请A{speech.spoken_number(f'{i:03d}', 'zh')}号到"
                 f"{speech.spoken_window(str(i % 9 + 1), 'zh')}号窗口办理") for i in range(10)]
    en = [("en", f"Ticket B {' '.join(f'{i:03d}')}, please go to Window {i % 44 + 1}")
          for i in range(10)]
    busy = tmp_path / "busy"
    busy.mkdir()
    stop = threading.Event()
    spinners = [threading.Thread(target=_spin, args=(stop,), daemon=True) for _ in range(2)]
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    for s in spinners:
        s.start()
    try:
        made = [speech.EspeakVoice(busy).phrase(lang, text) for lang, text in zh]  # fresh starts
        voice = speech.EspeakVoice(busy)
        made += [voice.phrase(lang, text) for lang, text in en]  # one voice, call after call
    finally:
        stop.set()
        for s in spinners:
            s.join()
        for hog in hogs:
            hog.kill()
            hog.wait()
    texts = zh + en
    assert not any(cached for _, cached in made)
    assert len({path for path, _ in made}) == len(texts)
    # The same sentences made on the idle machine: espeak-ng is deterministic, so each file
    # must hold exactly its own sentence, whole.
    quiet = speech.EspeakVoice(tmp_path / "quiet")
    (tmp_path / "quiet").mkdir()
    for (lang, text), (path, _) in zip(texts, made, strict=True):
        seconds = speech.check_wav(path)
        assert seconds > 1.0 and loud(path) > 500, (text, seconds)
        assert frames_of(path) == frames_of(quiet.phrase(lang, text)[0]), text
    assert not list(busy.glob("*.part")), "no half-made file is left behind"


def test_a_cut_short_empty_or_foreign_cached_wav_is_made_again(tmp_path):
    voice = speech.EspeakVoice(tmp_path)
    path, cached = voice.phrase("zh", "请A零零一号到三号窗口办理")
    assert not cached
    whole = path.read_bytes()
    assert voice.phrase("zh", "请A零零一号到三号窗口办理") == (path, True)

    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(speech.RATE)
        w.writeframes(bytes(4 * speech.RATE))
    for damage in (whole[:len(whole) // 2], b"", whole[:30], stereo.read_bytes()):
        path.write_bytes(damage)
        with pytest.raises(speech.BadWav):
            speech.check_wav(path)
        again, cached = voice.phrase("zh", "请A零零一号到三号窗口办理")
        assert again == path and not cached
        assert path.read_bytes() == whole


def test_check_wav_refuses_a_wav_too_short_to_be_speech(tmp_path):
    path = tmp_path / "blip.wav"
    speech.write_wav(path, bytes(2 * 100))
    with pytest.raises(speech.BadWav, match="too short"):
        speech.check_wav(path)


def fake_espeak(tmp_path, first_runs: str) -> str:
    """An espeak-ng that misbehaves on its first runs ("cut": writes half the WAV and exits 0, as
    a killed or interrupted write leaves it; "hang": never ends; "fail": exits 1), then is the
    real one."""
    script = tmp_path / "espeak-ng"
    script.write_text(f"""#!{sys.executable}
import os, pathlib, subprocess, sys, time
runs = pathlib.Path({str(tmp_path / 'runs')!r})
n = len(runs.read_text()) if runs.exists() else 0
runs.write_text("x" * (n + 1))
plan = {first_runs!r}.split()
what = plan[n] if n < len(plan) else "real"
if what == "hang":
    time.sleep(60)
if what == "fail":
    sys.exit("espeak-ng: trouble")
done = subprocess.run([{shutil.which('espeak-ng')!r}] + sys.argv[1:])
if what == "cut":
    out = pathlib.Path(sys.argv[sys.argv.index("-w") + 1])
    out.write_bytes(out.read_bytes()[:out.stat().st_size // 2])
sys.exit(done.returncode)
""")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize("first_runs", ["cut", "hang", "fail"])
def test_a_bad_synthesis_is_tried_again_and_never_cached(tmp_path, first_runs, caplog):
    cache = tmp_path / "cache"
    cache.mkdir()
    voice = speech.EspeakVoice(cache, command=fake_espeak(tmp_path, first_runs), timeout_s=3)
    path, cached = voice.phrase("en", "Ticket A 0 0 7, please go to Window 3")
    assert not cached and speech.check_wav(path) > 1.0
    assert (tmp_path / "runs").read_text() == "xx"
    assert "try 1 of 2" in caplog.text
    assert [p.name for p in cache.iterdir()] == [path.name]


def test_a_sentence_that_cannot_be_made_is_an_error_not_silence(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    voice = speech.EspeakVoice(cache, command=fake_espeak(tmp_path, "cut fail"))
    with pytest.raises(speech.SpeechError, match="cut short.*espeak-ng exited with 1"):
        voice.phrase("en", "Ticket A 0 0 8, please go to Window 3")
    assert list(cache.iterdir()) == []
    with pytest.raises(speech.SpeechError, match="apt-get install espeak-ng"):
        speech.EspeakVoice(cache, command="espeak-ng-not-here")


def test_a_missing_voice_is_named_at_start_up(tmp_path):
    voice = speech.EspeakVoice(tmp_path, voices={"zh": "nosuchvoice"})
    voice.warm_up(("en",))
    with pytest.raises(speech.SpeechError, match="nosuchvoice.*zh"):
        voice.warm_up(("en", "zh"))
