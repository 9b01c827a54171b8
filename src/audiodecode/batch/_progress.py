"""The progress bar of ``load_batch(progress=True)``: tqdm's, or rich's where tqdm is absent.

Neither is a dependency (the ``progress`` extra installs one); each is imported when a bar is
asked for.
"""

from __future__ import annotations

from typing import Any

__all__ = ["progress_bar"]


def progress_bar(total: int | None) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        pass
    else:
        return tqdm(total=total, unit=" files", desc="audiodecode", dynamic_ncols=True)
    try:
        import rich.console
        import rich.progress
    except ImportError:
        msg = "progress=True needs tqdm or rich: pip install 'audiodecode[progress]'"
        raise ImportError(msg) from None
    return _RichBar(rich.progress, rich.console.Console(stderr=True), total)


class _RichBar:
    """The two calls of tqdm's interface that the scheduler uses, drawn by rich."""

    def __init__(self, progress_module: Any, console: Any, total: int | None) -> None:
        columns = [
            progress_module.TextColumn("audiodecode"),
            progress_module.BarColumn(),
            progress_module.MofNCompleteColumn(),
            progress_module.TextColumn("{task.fields[rate]} files/s"),
            progress_module.TimeElapsedColumn(),
        ]
        self._progress = progress_module.Progress(*columns, console=console)
        self._task = self._progress.add_task("decode", total=total, rate="-")
        self._progress.start()

    def update(self, n: int) -> None:
        self._progress.advance(self._task, n)
        speed = self._progress.tasks[0].speed
        if speed is not None:
            self._progress.update(self._task, rate=f"{speed:.1f}")

    def close(self) -> None:
        self._progress.stop()
