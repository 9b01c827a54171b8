"""Import time is a feature: nothing heavy loads until it is needed."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["av", "soxr", "soundfile", "librosa", "scipy", "torch", "ray", "matplotlib", "rich",
         "tqdm", "fsspec", "numba"]


def modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_import_loads_nothing_heavy():
    loaded = modules_after("import audiodecode")
    assert not loaded & set(HEAVY)


def test_loading_a_wav_needs_neither_ffmpeg_nor_soxr_nor_libsndfile(corpus):
    path = corpus["wav_pcm16"]
    loaded = modules_after(f"import audiodecode\naudiodecode.load({str(path)!r}, sr=None)")
    assert not loaded & {"av", "soxr", "soundfile", "librosa", "scipy"}


def test_resampling_a_wav_loads_soxr_but_not_ffmpeg(corpus):
    path = corpus["wav_pcm16"]
    loaded = modules_after(f"import audiodecode\naudiodecode.load({str(path)!r}, sr=16000)")
    assert "soxr" in loaded
    assert not loaded & {"av", "librosa", "scipy"}


def test_version_and_public_names():
    import audiodecode

    assert isinstance(audiodecode.__version__, str)
    for name in audiodecode.__all__:
        assert getattr(audiodecode, name) is not None
    assert "from audiodecode import load" in audiodecode.__doc__


def test_batch_functions_are_exported_lazily():
    import audiodecode
    import audiodecode.batch

    assert audiodecode.load_batch is audiodecode.batch.load_batch
    assert audiodecode.imap is audiodecode.batch.imap
    loaded = modules_after("import audiodecode")
    assert "audiodecode.batch" not in loaded


def test_the_package_has_no_import_cycle():
    """No module imports one that imports it back, at import or call time (``TYPE_CHECKING``
    imports aside): the layers are core <- backends <- integrations, one way."""
    import ast
    from pathlib import Path

    import audiodecode

    root = Path(audiodecode.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = {id(node) for block in ast.walk(tree)
                       if isinstance(block, ast.If) and getattr(block.test, "id", "") ==
                       "TYPE_CHECKING" for node in ast.walk(block)}
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or id(node) in typing_only:
                continue
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("audiodecode"):
                target = node.module or ""
            else:
                continue
            for alias in node.names:
                imported = f"{target}.{alias.name}"
                imported = imported if imported in modules else target
                # The package's own facade re-exports everything; it is not a layer.
                if imported in modules and imported not in (name, "audiodecode"):
                    graph[name].add(imported)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
                   for nxt in graph[start])

    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if reaches(b, a, {b}))
    assert cycles == []


def test_compat_imports_the_benchmark_only_for_compare_backends():
    import subprocess
    import sys

    script = (
        "import sys, audiodecode.compat as compat\n"
        "assert 'audiodecode.bench' not in sys.modules\n"
        "assert compat.compare_backends.__module__ == 'audiodecode.bench.compare'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
