"""The decode cache against a folder others could write and odd files in it: such a folder is
refused, and in our own folder symlinks are never followed, a FIFO never blocks, a header's
claim is never allocated, a planted entry is never returned, and files the cache did not
write are never counted or deleted.

The tests run as root in the project's container: "another user" is then an unused uid that
root hands files to with ``os.chown`` (the check reads ``st_uid`` and nothing else, so a real
second account, made with ``useradd`` and shared with everything else on the machine, would
add nothing but a system-wide side effect). As another user, the tests that need a file of
someone else's are skipped and the refusal of a folder owned by someone else uses ``/``.
"""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import _corpus
import numpy as np
import pytest
from _cache_helpers import child_env, fresh_decode

import audiodecode
from audiodecode import cache
from audiodecode._options import LoadOptions
from audiodecode.cache import _store
from audiodecode.cache._format import build_header
from audiodecode.cache._store import DecodeCache, scan_folder
from audiodecode.cli import main
from audiodecode.errors import UnsafeCacheFolderError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from audiodecode.cache._store import Entry

pytestmark = pytest.mark.skipif(
    not hasattr(os, "getuid"), reason="uids and modes are POSIX's; Windows guards with ACLs")

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")


def unused_uid() -> int:
    """A uid no account has: files given to it belong to "someone else" for sure."""
    import pwd

    uid = 54321
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _corpus.write(tmp_path_factory.mktemp("audio") / "clip.wav", "wav_pcm16",
                         sample_rate=8000, channels=1, seconds=0.25)


@pytest.fixture(scope="module")
def decoded(clip: Path) -> np.ndarray:
    y, sr = fresh_decode(clip, sr=None)
    assert sr == 8000
    return y


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DecodeCache]:
    yield cache.enable(tmp_path / "cache")
    cache.disable()


OPTIONS = LoadOptions(sr=None).checked()


def entry_of(store: DecodeCache, clip: Path) -> Entry:
    entry = store.entry(clip, OPTIONS)
    assert entry is not None
    return entry


def assert_load_decodes(clip: Path, decoded: np.ndarray) -> None:
    y, sr = audiodecode.load(clip, sr=None)
    assert y.tobytes() == decoded.tobytes()
    assert (y.dtype, y.shape, sr) == (decoded.dtype, decoded.shape, 8000)


def entry_bytes(digest: str, samples: np.ndarray, sr: int = 8000) -> bytes:
    """A well-formed entry of key ``digest`` holding ``samples`` (what a planter would write)."""
    return build_header(samples.shape, samples.dtype.str, False, sr, digest) + samples.tobytes()


def make_folder(path: Path, mode: int) -> Path:
    path.mkdir()
    os.chmod(path, mode)  # chmod, not mkdir's mode: the umask cannot take bits away
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def finishes(function: Callable[[], Any], *, unblock: Callable[[], None]) -> Any:
    """``function()``'s result, failing (after ``unblock()``) if it has not returned in 30 s."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():
        unblock()
        worker.join(timeout=30)
        pytest.fail("blocked until the FIFO got a writer")
    if errors:
        raise errors[0]
    return result[0]


# --- the folder: ours alone, or refused -------------------------------------------------------


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702, 0o1777], ids=oct)
def test_a_folder_others_can_write_is_refused_and_left_as_it_is(tmp_path, clip, mode):
    folder = make_folder(tmp_path / "shared", mode)
    (folder / "ab").mkdir(mode=0o700)
    (folder / "ab" / ("0" * 30 + ".npy")).write_bytes(b"planted")  # whatever is in it
    with pytest.raises(UnsafeCacheFolderError) as refused:
        cache.enable(folder)
    message = str(refused.value)
    assert message.startswith(f"{folder}: writable by ")
    assert f"chmod go-w {folder}" in message  # the fix, as ssh gives it
    assert refused.value.directory == str(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == mode  # refused, not silently chmod-ed
    assert not cache.is_enabled()
    assert "AUDIODECODE_CACHE_DIR" not in os.environ
    os.chmod(folder, 0o700)  # the fix the message gives works
    cache.enable(folder)
    cache.disable()


def test_a_folder_others_can_only_read_is_used(tmp_path, clip, decoded):
    folder = make_folder(tmp_path / "readable", 0o755)
    store = cache.enable(folder)
    try:
        assert_load_decodes(clip, decoded)
        entry = Path(entry_of(store, clip).path)
    finally:
        cache.disable()
    # Others may list the folder; the entries (decoded audio) stay ours to read.
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700


def test_a_folder_owned_by_another_user_is_refused(tmp_path):
    if IS_ROOT:
        folder = make_folder(tmp_path / "theirs", 0o700)
        os.chown(folder, unused_uid(), -1)
    else:
        folder = Path("/")  # root's, so not ours
    owner = folder.stat().st_uid
    with pytest.raises(UnsafeCacheFolderError, match=f"owned by uid {owner}, not by you"):
        cache.enable(folder)
    assert not cache.is_enabled()


@pytest.mark.parametrize("holder_mode", [0o777, 0o775], ids=oct)
def test_a_folder_inside_one_others_can_write_is_refused(tmp_path, holder_mode):
    holder = make_folder(tmp_path / "holder", holder_mode)
    folder = make_folder(holder / "mine", 0o700)
    # Whoever can write the holder can rename our folder away and put theirs in its place.
    with pytest.raises(UnsafeCacheFolderError, match=f"{holder}, above it, is writable"):
        cache.enable(folder)
    with pytest.raises(UnsafeCacheFolderError):
        cache.enable(holder / "not-yet-made")


def test_a_folder_inside_a_sticky_shared_one_like_tmp_is_ours(tmp_path, clip, decoded):
    holder = make_folder(tmp_path / "like-tmp", 0o1777)
    store = cache.enable(holder / "mine")
    try:
        assert_load_decodes(clip, decoded)
        assert len(scan_folder(store.directory, remove_tmp_after=None).entries) == 1
    finally:
        cache.disable()
    assert stat.S_IMODE((holder / "mine").stat().st_mode) == 0o700


def test_a_missing_level_someone_else_made_meanwhile_is_not_written_into(tmp_path, clip,
                                                                       decoded):
    store = cache.enable(tmp_path / "later" / "cache")  # "later" is not there yet: fine
    try:
        make_folder(tmp_path / "later", 0o777)  # then someone makes it, writable by all
        assert_load_decodes(clip, decoded)
        assert list((tmp_path / "later").iterdir()) == []  # no cache folder made in it
        with pytest.raises(UnsafeCacheFolderError, match="above it, is writable"):
            DecodeCache(store.directory)
    finally:
        cache.disable()


@needs_root
def test_a_folder_inside_one_owned_by_another_user_is_refused(tmp_path):
    holder = make_folder(tmp_path / "holder", 0o755)
    folder = make_folder(holder / "mine", 0o700)
    os.chown(holder, unused_uid(), -1)
    with pytest.raises(UnsafeCacheFolderError, match=f"{holder}, above it, is owned by uid"):
        cache.enable(folder)


def test_a_symlink_to_a_folder_of_ours_is_followed_and_checked(tmp_path, clip, decoded):
    target = make_folder(tmp_path / "bigger-disk", 0o700)
    link = tmp_path / "cache-link"
    link.symlink_to(target)
    store = cache.enable(link)  # the user's own symlink, e.g. ~/.cache on another disk
    try:
        assert_load_decodes(clip, decoded)
    finally:
        cache.disable()
    assert len(scan_folder(store.directory, remove_tmp_after=None).entries) == 1
    os.chmod(target, 0o777)
    with pytest.raises(UnsafeCacheFolderError, match="writable by group and others"):
        cache.enable(link)


def test_a_refused_folder_in_the_environment_warns_and_leaves_the_cache_off(tmp_path, clip):
    folder = make_folder(tmp_path / "shared", 0o777)
    code = f"""if True:
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import audiodecode, audiodecode.cache
            audiodecode.load({str(clip)!r}, sr=None)
        print(audiodecode.cache.is_enabled())
        print(*[str(w.message) for w in caught if w.category is RuntimeWarning], sep="\\n")
    """
    out = subprocess.run([sys.executable, "-c", code], env=child_env(folder),
                         capture_output=True, text=True, check=True, timeout=120).stdout
    enabled, warning = out.splitlines()
    assert enabled == "False"
    assert warning.startswith(f"AUDIODECODE_CACHE_DIR: {folder}: writable by group and others")
    assert warning.endswith("the decode cache stays off")
    assert list(folder.iterdir()) == []


def test_the_cache_command_refuses_with_the_fix(tmp_path, capsys):
    folder = make_folder(tmp_path / "shared", 0o777)
    for action in ("info", "clear"):
        assert main(["cache", action, "--dir", str(folder)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"audiodecode cache: error: {folder}: writable by group and others")
        assert f"chmod go-w {folder}" in err


def test_the_error_pickles_and_is_a_permission_error():
    err = UnsafeCacheFolderError("/srv/cache", "writable by others; run: chmod go-w /srv/cache")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is UnsafeCacheFolderError
    assert (copy.directory, copy.reason, str(copy)) == (err.directory, err.reason, str(err))
    assert isinstance(copy, PermissionError)
    assert str(UnsafeCacheFolderError("/srv/cache: rebuilt from its message")) == (
        "/srv/cache: rebuilt from its message")


# --- symlinks: never written through, never read through ----------------------------------------


def test_a_symlink_at_an_entrys_name_is_not_written_through(store, clip, decoded, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    before = victim.stat()
    entry = Path(entry_of(store, clip).path)
    entry.parent.mkdir(parents=True, mode=0o700)
    entry.symlink_to(victim)
    assert_load_decodes(clip, decoded)
    assert_load_decodes(clip, decoded)
    assert victim.read_bytes() == b"precious"
    assert victim.stat().st_mtime_ns == before.st_mtime_ns
    assert entry.is_symlink()  # not ours: left where it is (no entry for this key)


def test_a_symlink_at_an_entrys_name_is_not_read_through(store, clip, decoded, tmp_path):
    entry = entry_of(store, clip)
    elsewhere = tmp_path / "elsewhere.npy"
    elsewhere.write_bytes(entry_bytes(entry.digest, np.full_like(decoded, 0.5)))
    Path(entry.path).parent.mkdir(parents=True, mode=0o700)
    Path(entry.path).symlink_to(elsewhere)
    assert entry.read(OPTIONS) is None  # a well-formed entry, but behind a symlink
    assert_load_decodes(clip, decoded)


def test_a_guessed_temporary_name_is_not_written_through(store, clip, decoded, tmp_path,
                                                         monkeypatch):
    # The temporary name is random; grant an attacker a lucky guess: still no write through it.
    monkeypatch.setattr(_store.secrets, "token_hex", lambda n: "0" * (2 * n))
    entry = entry_of(store, clip)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    folder = Path(entry.path).parent
    folder.mkdir(parents=True, mode=0o700)
    (folder / f".{entry.digest[2:]}.{'0' * 16}.tmp").symlink_to(victim)
    assert_load_decodes(clip, decoded)
    assert victim.read_bytes() == b"precious"
    assert not Path(entry.path).exists()  # O_EXCL refused the name: this write is lost


def test_a_symlinked_subfolder_is_never_followed(store, clip, decoded, tmp_path):
    entry = entry_of(store, clip)
    elsewhere = make_folder(tmp_path / "elsewhere", 0o700)
    planted = elsewhere / Path(entry.path).name
    planted.write_bytes(entry_bytes(entry.digest, np.full_like(decoded, 0.5)))
    before = snapshot(elsewhere)
    Path(store.directory).mkdir(mode=0o700)
    Path(entry.path).parent.symlink_to(elsewhere, target_is_directory=True)
    assert entry.read(OPTIONS) is None  # not read through the symlink...
    assert_load_decodes(clip, decoded)
    assert_load_decodes(clip, decoded)
    assert snapshot(elsewhere) == before  # ...nor written through it
    scan = scan_folder(store.directory, remove_tmp_after=0.0)
    assert (scan.entries, scan.others) == ([], 1)  # the symlink, counted and left alone
    assert cache.clear() == 0
    assert snapshot(elsewhere) == before
    assert Path(entry.path).parent.is_symlink()


# --- odd files in our own folder: a miss, never a hang nor an allocation ----------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_at_an_entrys_name_is_a_miss_not_a_hang(store, clip, decoded):
    entry = Path(entry_of(store, clip).path)
    entry.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(entry, 0o600)

    def unblock() -> None:  # opening the writing end releases a reader blocked in open()
        os.close(os.open(entry, os.O_WRONLY | os.O_NONBLOCK))

    y, sr = finishes(lambda: audiodecode.load(clip, sr=None), unblock=unblock)
    assert y.tobytes() == decoded.tobytes()
    assert sr == 8000
    assert stat.S_ISFIFO(entry.lstat().st_mode)  # not a regular file of ours: left alone
    assert finishes(cache.clear, unblock=unblock) == 0
    assert finishes(lambda: cache.info().entries, unblock=unblock) == 0
    assert stat.S_ISFIFO(entry.lstat().st_mode)


@pytest.fixture
def no_huge_allocation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test (not with MemoryError, which the store catches) if over 1 GiB is asked."""
    real_empty = np.empty

    def guarded(shape: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        assert int(np.prod(shape, dtype=object)) < 2**28, f"allocating {shape}"
        return real_empty(shape, *args, **kwargs)

    monkeypatch.setattr(_store.np, "empty", guarded)


def test_a_header_claiming_4_tib_is_a_miss(store, clip, decoded, no_huge_allocation):
    entry = entry_of(store, clip)
    path = Path(entry.path)
    path.parent.mkdir(parents=True, mode=0o700)
    shape = (2**20, 2**20)  # float32: 4 TiB
    path.write_bytes(build_header(shape, "<f4", False, 8000, entry.digest) + bytes(64))
    assert entry.read(OPTIONS) is None
    assert_load_decodes(clip, decoded)
    assert np.load(path).tobytes() == decoded.tobytes()  # a regular file of ours: rewritten


def test_a_sparse_entry_as_big_as_its_header_claims_is_not_read(tmp_path, clip, decoded,
                                                                no_huge_allocation):
    store = cache.enable(tmp_path / "cache", max_size="20GB")
    try:
        entry = entry_of(store, clip)
        path = Path(entry.path)
        path.parent.mkdir(parents=True, mode=0o700)
        shape = (2**14, 2**20)  # float32: 64 GiB, over max_size, that write() never stores
        path.write_bytes(build_header(shape, "<f4", False, 8000, entry.digest))
        os.truncate(path, path.stat().st_size + 2**36)  # sparse: no disk used
        assert entry.read(OPTIONS) is None
        assert_load_decodes(clip, decoded)
    finally:
        cache.disable()


def test_no_memory_for_a_whole_entry_is_a_miss(store, clip, decoded, monkeypatch):
    assert_load_decodes(clip, decoded)
    entry = entry_of(store, clip)
    assert entry.read(OPTIONS) is not None

    def no_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(_store.np, "empty", no_memory)
    assert entry.read(OPTIONS) is None


# --- planted entries ---------------------------------------------------------------------------


@needs_root
def test_an_entry_another_user_planted_is_not_returned(store, clip, decoded):
    # Impossible in a folder only we can write (that is what enable() checks); if one gets
    # there anyway (say, the folder was private only after the fact), it is not ours.
    entry = entry_of(store, clip)
    path = Path(entry.path)
    path.parent.mkdir(parents=True, mode=0o700)
    planted = entry_bytes(entry.digest, np.full_like(decoded, 0.5))
    path.write_bytes(planted)
    os.chown(path, unused_uid(), -1)
    assert entry.read(OPTIONS) is None
    assert_load_decodes(clip, decoded)
    assert path.read_bytes() == planted  # someone else's file: left alone
    assert scan_folder(store.directory, remove_tmp_after=0.0).others == 1
    assert cache.clear() == 0
    assert path.read_bytes() == planted


@needs_root
def test_a_subfolder_another_user_owns_is_neither_used_nor_listed(store, clip, decoded):
    entry = entry_of(store, clip)
    path = Path(entry.path)
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_bytes(entry_bytes(entry.digest, np.full_like(decoded, 0.5)))
    os.chown(path.parent, unused_uid(), -1)
    assert_load_decodes(clip, decoded)
    assert scan_folder(store.directory, remove_tmp_after=0.0).others == 1
    assert cache.clear() == 0
    assert path.exists()


# --- files the cache did not write --------------------------------------------------------------


@pytest.fixture
def mixed_folder(tmp_path: Path, clip: Path) -> tuple[Path, dict[str, bytes]]:
    """A cache folder with one entry of ours and six files or folders that are not."""
    folder = make_folder(tmp_path / "mixed", 0o700)
    (folder / "en").mkdir()  # `audiodecode decode --out` outputs, as a user may keep them
    np.save(folder / "en" / "take1.npy", np.zeros(8, "<f4"))
    np.save(folder / "en" / "take2.npy", np.ones(8, "<f4"))
    (folder / "README").write_text("my notes\n")
    (folder / "ab").mkdir(mode=0o700)  # named as ours, with a plain .npy named as an entry
    np.save(folder / "ab" / ("c" * 30 + ".npy"), np.zeros(8, "<f4"))
    (folder / "ab" / "list.txt").write_text("not an entry\n")
    (folder / "ab" / ".notes.tmp").write_text("not our temporary file\n")
    outside = make_folder(tmp_path / "outside", 0o700)
    np.save(outside / ("d" * 30 + ".npy"), np.zeros(8, "<f4"))
    (folder / "cd").symlink_to(outside, target_is_directory=True)
    store = cache.enable(folder)
    try:
        audiodecode.load(clip, sr=None)  # the one entry of ours
    finally:
        cache.disable()
    theirs = everything(folder)
    del theirs[str(Path(entry_of(store, clip).path).relative_to(folder))]
    return folder, theirs


def everything(folder: Path) -> dict[str, bytes]:
    """The files under the mixed folder and under the folder its symlink points to."""
    outside = snapshot(folder.parent / "outside")
    return {**snapshot(folder), **{f"outside/{k}": v for k, v in outside.items()}}


def test_info_clear_and_eviction_touch_only_the_caches_files(mixed_folder):
    folder, theirs = mixed_folder
    # README, en/, cd -> outside/ at the top; in ab/: the plain .npy, list.txt, .notes.tmp.
    scan = scan_folder(str(folder), remove_tmp_after=0.0)
    assert (len(scan.entries), scan.others) == (1, 6)
    assert cache.info(folder).entries == 1
    assert cache.info(folder).size == scan.size == scan.entries[0][1]
    assert DecodeCache(folder, max_size=1).evict() == 1
    assert everything(folder) == theirs
    assert cache.clear(folder) == 0
    assert everything(folder) == theirs


def test_clear_leaves_other_files_alone(mixed_folder):
    folder, theirs = mixed_folder
    assert cache.clear(folder) == 1
    assert everything(folder) == theirs


def test_the_cache_command_counts_and_clears_only_the_caches_files(mixed_folder, capsys):
    folder, theirs = mixed_folder
    assert main(["cache", "info", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{folder}: 1 entries, ")
    assert "(6 other files or folders, not the cache's, left alone)" in out
    assert main(["cache", "clear", "--dir", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(f"removed 1 entries from {folder} (6 other")
    assert everything(folder) == theirs
    assert main(["cache", "info", "--dir", str(folder), "--json"]) == 0
    assert '"entries": 0' in capsys.readouterr().out


def test_temporary_files_of_ours_are_swept_others_kept(store, clip, tmp_path):
    audiodecode.load(clip, sr=None)
    entry = entry_of(store, clip)
    folder = Path(entry.path).parent
    ours = [folder / f".{entry.digest[2:]}.{'ab' * 8}.tmp",  # this release's name
            folder / f".{entry.digest[2:]}.{os.getpid()}.140245.tmp"]  # the former one
    theirs = [folder / ".notes.tmp", folder / f"{entry.digest[2:]}.tmp"]
    for path in ours + theirs:
        path.write_bytes(b"partial")
        os.utime(path, (1e9, 1e9))  # long ago: left by a killed process
    store.evict()
    assert [p.exists() for p in ours + theirs] == [False, False, True, True]
    assert Path(entry.path).exists()
