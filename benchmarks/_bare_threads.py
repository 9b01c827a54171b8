"""The loop the benchmarks' controls run on 1 and 2 threads, with nothing else around it."""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def bare_thread_pass(paths: list[str], load_one: Callable[[str], Any], threads: int) -> list[Any]:
    """``load_one(path)`` for every path, in input order: in this thread when ``threads`` is 1,
    else in that many new threads taking the next path from a shared counter.

    No executor, no futures, no queue: the least any parallel loader must add to the work.
    """
    results: list[Any] = [None] * len(paths)
    counter = itertools.count()  # next() on it is atomic under the GIL

    def work() -> None:
        for i in counter:
            if i >= len(paths):
                return
            results[i] = load_one(paths[i])

    if threads == 1:
        work()
        return results
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results
