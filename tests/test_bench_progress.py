"""``audiodecode bench``'s progress lines (plain mode: no rich, or no terminal)."""

from __future__ import annotations

import io
import time

from audiodecode.bench import progress


def test_stage_lines_are_numbered(monkeypatch):
    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 3600.0)  # stage lines only
    out = io.StringIO()
    with progress.Progress(total=4, stages=2, enabled=True, stream=out) as bar:
        bar.stage("WAV: first load by each loader")
        bar.advance(2)
        bar.stage("timed loads, round 1 of 1")
        bar.advance(2)

    assert out.getvalue() == ("[1/2] WAV: first load by each loader ...\n"
                              "[2/2] timed loads, round 1 of 1 ...\n")


def test_a_long_call_is_not_silent(monkeypatch):
    """While one call runs (librosa's first import can take seconds), a line says what it is."""
    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.01)
    out = io.StringIO()
    expected = "      MP3: first load: librosa, a.mp3 (1/3 calls done)\n"
    with progress.Progress(total=3, stages=1, enabled=True, stream=out) as bar:
        bar.stage("MP3: first load")
        bar.advance()
        bar.detail("librosa, a.mp3")
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measurement
        while expected not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)

    assert out.getvalue().startswith("[1/1] MP3: first load ...\n")
    assert expected in out.getvalue()


def test_disabled_prints_nothing(monkeypatch):
    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.01)
    out = io.StringIO()
    with progress.Progress(total=1, stages=1, enabled=False, stream=out) as bar:
        bar.stage("MP3: first load")
        time.sleep(0.05)
        bar.advance()

    assert out.getvalue() == ""
