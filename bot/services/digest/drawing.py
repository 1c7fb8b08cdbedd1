"""Where the digests' charts and workbooks are drawn: child processes, one per core.

A chart is a few hundred milliseconds of matplotlib's pure Python, which in the bot's own
process would hold the GIL from the people it answers; 1,000 digests on a Monday morning
are minutes of it. The export's one child (`mandates.workbook.off_process`) is for rare
big files; the digests get a pool of their own, as wide as the machine, started at the
first digest and kept. If the pool cannot be used, the work runs in a thread instead.

All the children are started with the pool, and each, as it starts (`_warm`, the pool's
initializer), imports matplotlib and XlsxWriter and makes its one chart figure
(`chart.warm`: fonts loaded, the fixed parts drawn), so no digest pays for that. A
digest's chart and workbook are made in one trip (`chart_and_workbook`).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from bot.services.digest.chart import ChartData

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _the_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            workers = os.cpu_count() or 1
            _pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm,
            )
            # Every child started now: the pool otherwise starts another only when a task
            # finds none idle, so the first digests would have one child, warming up.
            for _ in range(workers):
                _pool.submit(os.getpid)
        return _pool


def _warm() -> None:
    from bot.services.digest import chart
    from bot.services.mandates import workbook  # noqa: F401  (imported: XlsxWriter warm)

    chart.warm()


def _drop(broken: ProcessPoolExecutor | None = None) -> None:
    global _pool
    with _lock:
        pool = _pool
        if pool is None or (broken is not None and pool is not broken):
            return
        _pool = None
    pool.shutdown(wait=broken is None, cancel_futures=True)


atexit.register(_drop)


def chart_and_workbook(data: ChartData, sheets: Any, rows: Any) -> tuple[bytes, bytes]:
    """A digest's two files in one trip to a child: one message each way instead of two,
    and the pair on one core — with a thousand digests queued, the other core is busy
    with the next digest anyway."""
    from bot.services.digest.chart import render_chart
    from bot.services.digest.workbook import render_workbook

    return render_chart(data), render_workbook(sheets, rows)


async def drawn(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in the digests' pool; in a thread if the pool cannot be used."""
    loop = asyncio.get_running_loop()
    pool = None
    try:
        pool = _the_pool()
        return await loop.run_in_executor(pool, function, *args)
    except (BrokenExecutor, OSError, RuntimeError):
        _drop(pool)
    return await asyncio.to_thread(function, *args)
