"""Import time is a feature: nothing heavy loads until it is needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, at import or call time (``TYPE_CHECKING``
    imports aside); the package's facade (``audiodecode``) re-exports everything and is left
    out as a target."""
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
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names
                           if alias.name.startswith("audiodecode.")]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").startswith("audiodecode"):
                    target = node.module or ""
                else:
                    continue
                targets = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules
                           else target for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets
                               if t in modules and t not in (name, "audiodecode"))
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_package_has_no_import_cycle():
    """No module imports one that imports it back: the layers look down only."""
    graph = _import_graph()
    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a in _reachable(graph, b))
    assert cycles == []


# The decoding core: what `load` runs below the rollback switch and the cache.
_CORE_PREFIXES = ("audiodecode._api", "audiodecode._options", "audiodecode._span",
                  "audiodecode._source", "audiodecode._pipeline", "audiodecode._resample",
                  "audiodecode._libsoxr", "audiodecode._scratch", "audiodecode._info",
                  "audiodecode.errors", "audiodecode._version", "audiodecode.backends")


def test_the_core_imports_no_integration():
    """The core never imports (even lazily) the patch, the cache, the CLI, the benchmark or an
    integration: those pass what they need down as arguments."""
    graph = _import_graph()
    core = {name for name in graph if name.startswith(_CORE_PREFIXES)}
    assert "audiodecode._api" in core
    assert "audiodecode.backends.pyav" in core
    above = {name: sorted(_reachable(graph, name) - core) for name in sorted(core)}
    assert {name: found for name, found in above.items() if found} == {}


# --- the folders beside the package ------------------------------------------------------------

_ROOT = Path(__file__).resolve().parent.parent


def _top_level_modules(folder: Path) -> set[str]:
    """What a script of ``folder`` imports by name from beside it: its modules and packages."""
    return ({path.stem for path in folder.glob("*.py")}
            | {path.parent.name for path in folder.glob("*/__init__.py")})


def _reaching_into(folder: Path, other: Path, *, paths: bool = True) -> list[str]:
    """Where a file of ``folder`` imports a module of ``other``, puts ``other`` on
    ``sys.path``, or (``paths``) names a path inside it, such as a script to run."""
    import ast

    theirs = _top_level_modules(other) - _top_level_modules(folder)

    def names_other(node: ast.AST, *, anywhere: bool) -> bool:
        text = node.value if isinstance(node, ast.Constant) else None
        return isinstance(text, str) and (text == other.name
                                          or (anywhere and text.startswith(f"{other.name}/")))

    found = []
    for path in sorted(folder.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue  # this check names both folders
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                           ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        where = f"{path.relative_to(_ROOT)}:"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [f"{where}{node.lineno} imports {alias.name}" for alias in node.names
                          if alias.name.split(".")[0] in theirs | {other.name}]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                module = node.module or ""
                if module.split(".")[0] in theirs | {other.name}:
                    found.append(f"{where}{node.lineno} imports {module}")
            elif (isinstance(node, ast.Call) and ast.unparse(node.func) in
                  ("sys.path.insert", "sys.path.append")
                  and any(names_other(n, anywhere=False) for n in ast.walk(node))):
                found.append(f"{where}{node.lineno} puts {other.name}/ on sys.path")
            elif paths and id(node) not in docstrings and names_other(node, anywhere=True):
                found.append(f"{where}{getattr(node, 'lineno', 0)} names {node.value!r}")
    return found


def test_tests_and_benchmarks_do_not_reach_into_each_other():
    """What both need lives in ``testkit/`` (never shipped), which needs neither: a benchmark
    runs without the test suite, and the suite runs without the benchmarks."""
    tests, benchmarks, testkit = _ROOT / "tests", _ROOT / "benchmarks", _ROOT / "testkit"
    # the layout this test knows: a helper module on each side
    assert "_hostile" in _top_level_modules(tests)
    assert "hostile_corpus" in _top_level_modules(benchmarks)
    assert _reaching_into(tests, benchmarks) == []
    # benchmarks name other projects' tests/ (librosa's, datasets'): imports and sys.path only
    assert _reaching_into(benchmarks, tests, paths=False) == []
    assert _reaching_into(testkit, tests) + _reaching_into(testkit, benchmarks) == []

