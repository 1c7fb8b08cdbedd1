"""Where the digests' charts and workbooks are drawn: child processes, one per core.

A chart is a few hundred milliseconds of matplotlib's pure Python, which in the bot's own
process would hold the GIL from the people it answers; 1,000 digests on a Monday morning
are minutes of it. The export's one child (`mandates.workbook.off_process`) is for rare
big files; the digests get a pool of their own, as wide as the machine, started at the
first digest and kept. If the pool cannot be used, the work runs in a thread instead.

Each child, as it starts (`_warm`, the pool's initializer), imports matplotlib and
openpyxl and makes its one chart figure (`chart.warm`: fonts loaded, the fixed parts
drawn), so no digest pays for that.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _the_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=os.cpu_count() or 1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm,
            )
        return _pool


def _warm() -> None:
    from bot.services.digest import chart, workbook  # noqa: F401  (imported: warm)

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


async def drawn(function: Callable[..., bytes], *args: Any) -> bytes:
    """`function(*args)` in the digests' pool; in a thread if the pool cannot be used."""
    loop = asyncio.get_running_loop()
    pool = None
    try:
        pool = _the_pool()
        return await loop.run_in_executor(pool, function, *args)
    except (BrokenExecutor, OSError, RuntimeError):
        _drop(pool)
    return await asyncio.to_thread(function, *args)
