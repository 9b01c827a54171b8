"""``LoadOptions``: load's keywords, checked once before any file is opened."""

from __future__ import annotations

import math
import pickle
import re

import numpy as np
import pytest

import audiodecode
from audiodecode._options import MAX_DURATION, LoadOptions, set_max_duration


def test_checked_resolves_the_dtype_and_keeps_the_rest() -> None:
    options = LoadOptions(sr=16000, mono=False, offset=1.5, duration=2.0, dtype="float64",
                          res_type="soxr_vhq", backend="sndfile", max_duration=60).checked()
    assert options == LoadOptions(16000, False, 1.5, 2.0, np.dtype(np.float64), "soxr_vhq",
                                  "sndfile", 60)
    assert options.dtype is np.dtype(np.float64)
    assert LoadOptions().checked().dtype is np.dtype(np.float32)


def test_checked_options_are_returned_as_they_are() -> None:
    options = LoadOptions().checked()
    assert options.checked() is options


@pytest.mark.parametrize(("options", "message"), [
    (LoadOptions(sr=0), "sr=0 must be None or a number"),
    (LoadOptions(sr=2.0**21), "sr=2097152.0 must be None"),
    (LoadOptions(sr=True), "sr=True must be None"),
    (LoadOptions(sr="16000"), "sr='16000' must be None"),
    (LoadOptions(dtype=np.int16), "must be np.float32 or np.float64"),
    (LoadOptions(dtype=None), "dtype=None must be np.float32 or np.float64"),
    (LoadOptions(res_type="nearest"), "res_type"),
    (LoadOptions(backend="ffmpeg"), "backend='ffmpeg'; expected one of wav, sndfile, pyav"),
    (LoadOptions(offset=math.nan), "offset=nan must be a finite number"),
    (LoadOptions(offset=-math.inf), "offset=-inf must be a finite number"),
    (LoadOptions(duration=math.nan), "duration=nan must be a number"),
    (LoadOptions(max_duration=0), "max_duration=0 must be a positive number"),
    (LoadOptions(max_duration=-1.0), "max_duration=-1.0 must be a positive number"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_what_no_file_could_satisfy_is_a_value_error(options: LoadOptions, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        options.checked()


def test_res_type_is_not_checked_when_nothing_is_resampled() -> None:
    # librosa.load ignores res_type at the native rate, whatever it is.
    assert LoadOptions(sr=None, res_type="nearest").checked().res_type == "nearest"


def test_from_keywords_names_the_caller_of_an_unknown_keyword() -> None:
    assert LoadOptions.from_keywords({"mono": False}, "imap") == LoadOptions(mono=False)
    with pytest.raises(TypeError, match=re.escape("'rate'; imap passes these keywords to")):
        LoadOptions.from_keywords({"rate": 16000}, "imap")
    with pytest.raises(ValueError, match="sr=-1"):
        LoadOptions.from_keywords({"sr": -1}, "imap")


def test_max_duration_none_means_the_process_default_when_a_file_is_planned() -> None:
    options = LoadOptions().checked()
    assert options.resolved_max_duration() == MAX_DURATION == 24 * 3600.0
    previous = set_max_duration(10.0)
    try:
        assert options.resolved_max_duration() == 10.0
        assert LoadOptions(max_duration=math.inf).resolved_max_duration() == math.inf
    finally:
        set_max_duration(previous)
    with pytest.raises(ValueError, match="max_duration"):
        set_max_duration(0)


def test_options_cross_processes_and_give_back_loads_keywords() -> None:
    options = LoadOptions(sr=8000, dtype=np.float64).checked()
    assert pickle.loads(pickle.dumps(options)) == options
    assert options.keywords() == {"sr": 8000, "mono": True, "offset": 0.0, "duration": None,
                                  "dtype": np.dtype(np.float64), "res_type": "soxr_hq",
                                  "backend": None, "max_duration": None}
    assert set(options.librosa_keywords()) == {"sr", "mono", "offset", "duration", "dtype",
                                               "res_type"}


def test_load_checks_before_opening_anything(tmp_path) -> None:
    missing = tmp_path / "missing.wav"
    with pytest.raises(ValueError, match="sr=-5"):
        audiodecode.load(missing, sr=-5)
    with pytest.raises(ValueError, match="offset=nan"):
        audiodecode.load(missing, offset=math.nan)
    with pytest.raises(FileNotFoundError):
        audiodecode.load(missing)
