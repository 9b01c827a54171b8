"""What ``audiodecode bench`` shows on stderr while it measures.

A rich bar where rich is installed and stderr is a terminal; plain lines otherwise
(``[3/12] FLAC pcm_s16, stereo: first load by each loader ...``), and while a stage runs, a
line saying what is running every few seconds, so that nothing is silent for long, whatever
is installed and wherever stderr goes. Never on stdout: that holds the report (or the JSON).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

#: Plain mode says what is running when nothing was printed for this long: one call can take
#: seconds (librosa's first import, a child process importing it).
HEARTBEAT_SECONDS = 4.0


class Progress:
    """Stages and call counts of a benchmark, shown on stderr.

    Parameters
    ----------
    total : int
        Calls (loads and child processes) the whole run makes.
    stages : int
        Stages the run goes through (each shown as ``[k/stages]`` in plain lines).
    enabled : bool
        ``False`` shows nothing.
    stream : text file, optional
        Where plain lines go; ``sys.stderr`` (as it is when the run starts) by default.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with Progress(total=2, stages=1, enabled=True, stream=out) as bar:
    ...     bar.stage("WAV: librosa")
    ...     bar.advance(2)
    >>> print(out.getvalue(), end="")
    [1/1] WAV: librosa ...
    """

    def __init__(self, total: int, stages: int, enabled: bool, stream: IO[str] | None = None,
                 ) -> None:
        self._total, self._stages, self._enabled = total, max(stages, 1), enabled
        self._stream = sys.stderr if stream is None else stream
        self._done = self._stage_number = 0
        self._description = self._detail = ""
        self._last_line = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._bar: Any = None
        self._task: Any = None
        if enabled and stream is None and sys.stderr.isatty():
            self._bar, self._task = _rich_bar(total)

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
        elif self._enabled:
            # A thread, because the call that runs long is in the way of the main one; it
            # wakes once a second and prints at most every HEARTBEAT_SECONDS, too rarely to
            # weigh on the timings (their medians shrug off a microsecond).
            self._heartbeat = threading.Thread(target=self._beat, name="bench-progress",
                                               daemon=True)
            self._heartbeat.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._bar is not None:
            self._bar.stop()

    def stage(self, description: str) -> None:
        """Start the next stage: one plain line, or the bar's new description."""
        self._stage_number += 1
        self._description, self._detail = description, ""
        if self._bar is not None:
            self._bar.update(self._task, description=description)
        elif self._enabled:
            self._line(f"[{min(self._stage_number, self._stages)}/{self._stages}] "
                       f"{description} ...")

    def detail(self, text: str) -> None:
        """Say what the stage is doing now (a loader, a file), until the next call."""
        self._detail = text
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self._description}: {text}")

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` calls done."""
        self._done += steps
        if self._bar is not None:
            self._bar.advance(self._task, steps)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, HEARTBEAT_SECONDS)):
            if self._description and time.monotonic() - self._last_line >= HEARTBEAT_SECONDS:
                now = (f"{self._description}: {self._detail}" if self._detail
                       else self._description)
                self._line(f"      {now} ({self._done}/{self._total} calls done)")

    def _line(self, text: str) -> None:
        with self._lock:  # one write per line: the heartbeat thread prints too
            self._stream.write(text + "\n")
            self._stream.flush()
            self._last_line = time.monotonic()


def _rich_bar(total: int) -> tuple[Any, Any]:
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )
    except ImportError:
        return None, None  # plain lines instead: rich comes with the ``bench`` extra
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    return bar, bar.add_task("benchmark", total=total)
