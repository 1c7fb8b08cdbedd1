"""The digest's picture: the week's mandates by status per branch (stacked bars, the
busiest branches, the rest in one bar) above the last 8 weeks' trend (received, first
answers, resolved). Large fonts and Russian labels, to be read on a phone.

Plain data in, PNG bytes out, with matplotlib's non-interactive Agg backend and an
object-oriented `Figure` (no pyplot state). A thousand digests on a Monday make the
chart's CPU count, so it is drawn the way animations are (blitting), not built anew:

- **One figure per process** (`Chart`), made once — at the drawing pool's start
  (`warm`, its initializer), else at the first chart. Everything that is the same in
  every digest (the titles, the status and trend keys, the axes' frames) is drawn once
  and kept as a bitmap.
- **A chart** starts from a copy of that bitmap and draws only its own artists onto it —
  one collection of rectangles for all the bars, the lines, and the texts — then removes
  them again, so nothing is left over for the next digest.
- **No axis machinery**: matplotlib's ticks are most of its time, so both axes are
  hidden and the few labels (branches, counts, weeks, 3–5 values) are plain texts at
  fixed places; the layout is fixed (no `tight_layout`, no automatic title position).
- **The PNG** is written here (the RGBA pixels as drawn, no row filter, zlib level 1):
  ≈60–90 KiB in ≈9 ms, where PIL's adaptive filters took ≈20–25.

One figure is one drawing at a time: `render_chart` holds a lock, so the thread fallback
of `drawing` stays correct. Callers run it off the event loop (`drawing.drawn`).
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from bot.services.digest.figures import STATUSES, Digest
from bot.texts import t

TOP_BRANCHES = 10
# 800 × 960 pixels: sharp on a phone, and every pixel costs CPU (1,000 digests).
DPI = 80
SIZE = (10, 12)  # inches
ROWS = 4  # bar slots at least: one or two branches get bars of a sensible thickness
BAR = 0.8  # a bar's thickness, of its slot
COLOURS = {
    "new": "#e4572e",
    "accepted": "#f3a712",
    "clarification": "#a8c686",
    "forwarded": "#669bbc",
    "resolved": "#29335c",
    "rejected": "#999999",
}
TREND = (("received", "#e4572e"), ("answered", "#f3a712"), ("resolved", "#29335c"))
GRID = "#d9d9d9"
# Where things are, as fractions of the figure (0 at the bottom).
BARS_BOX = (0.22, 0.57, 0.71, 0.36)  # left, bottom, width, height
TREND_BOX = (0.1, 0.07, 0.86, 0.27)


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the picture shows: plain values, cheap to hand to a thread or process."""

    branches: list[tuple[str, dict[str, int]]]  # label, the week's received by status
    weeks: list[str]  # «02.11»
    received: list[int]
    answered: list[int]
    resolved: list[int]


def chart_data(digest: Digest) -> ChartData:
    from bot.clock import local

    busy = sorted(
        (b for b in digest.branches if b.received),
        key=lambda b: (-b.received, b.number),
    )
    rows = [(b.number, dict(b.by_status)) for b in busy[:TOP_BRANCHES]]
    rest = busy[TOP_BRANCHES:]
    if rest:
        merged: dict[str, int] = {}
        for b in rest:
            for status, count in b.by_status.items():
                merged[status] = merged.get(status, 0) + count
        rows.append((t("digest.chart.other_branches", count=len(rest)), merged))
    trend = digest.trend
    return ChartData(
        branches=rows,
        weeks=[f"{local(w.start, digest.timezone):%d.%m}" for w in trend],
        received=[w.received for w in trend],
        answered=[w.answered for w in trend],
        resolved=[w.resolved for w in trend],
    )


class Chart:
    """The figure, its fixed parts drawn once; `render` draws one digest's chart.

    The changing artists are made once too and only given new values: a digest draws
    those it uses onto the fixed parts' bitmap, so nothing of the previous one remains."""

    def __init__(self) -> None:
        self.figure = Figure(figsize=SIZE, dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        self.bars = self.figure.add_axes(BARS_BOX)
        self.trend = self.figure.add_axes(TREND_BOX)
        for axes in (self.bars, self.trend):
            axes.set_autoscale_on(False)
            axes.xaxis.set_visible(False)
            axes.yaxis.set_visible(False)
            axes.patch.set_visible(False)
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
        self.bars.spines["bottom"].set_visible(False)
        self.bars_edge = self.bars.spines["left"]  # drawn only when there are bars
        self.bars_edge.set_animated(True)
        self._fixed_parts()
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

        def text(axes: Axes, size: int, **where: Any) -> Callable[[], Text]:
            return lambda: axes.text(0, 0, "", fontsize=size, animated=True, **where)

        rows_at, values_at = self.bars.get_yaxis_transform(), self.trend.get_yaxis_transform()
        self.none = text(self.bars, 20, ha="center", va="center",
                         transform=self.figure.transFigure)()  # fmt: skip
        self.none.set_position((0.5, BARS_BOX[1] + BARS_BOX[3] / 2))  # the figure's middle
        self.boxes = PolyCollection([], linewidths=0, animated=True)
        self.bars.add_collection(self.boxes)
        self.labels = _Texts(text(self.bars, 16, ha="right", va="center", transform=rows_at))
        self.counts = _Texts(text(self.bars, 16, va="center"))
        self.grid = LineCollection([], colors=GRID, linewidths=1, animated=True)
        self.trend.add_collection(self.grid)
        self.values = _Texts(text(self.trend, 15, ha="right", va="center", transform=values_at))
        self.weeks = _Texts(text(self.trend, 15, ha="center", va="top",
                                 transform=self.trend.get_xaxis_transform()))  # fmt: skip
        self.lines = [
            self.trend.add_line(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linewidth=3,
                    markersize=8,
                    color=colour,
                    clip_on=False,
                    animated=True,
                )
            )
            for _, colour in TREND
        ]

    def _fixed_parts(self) -> None:
        text = self.figure.text
        bars_top = BARS_BOX[1] + BARS_BOX[3]
        text(0.5, bars_top + 0.02, t("digest.chart.by_branch"), fontsize=22, ha="center",
             va="bottom")  # fmt: skip
        # The statuses' key below the bars: all six, three to a row, always the same.
        for n, status in enumerate(STATUSES):
            x, y = 0.06 + 0.32 * (n % 3), BARS_BOX[1] - 0.05 - 0.035 * (n // 3)
            self.figure.add_artist(Rectangle((x, y - 0.008), 0.03, 0.016,
                                             color=COLOURS[status]))  # fmt: skip
            text(x + 0.04, y, t(f"mandates.status.{status}"), fontsize=14, va="center")
        trend_top = TREND_BOX[1] + TREND_BOX[3]
        text(0.5, trend_top + 0.055, t("digest.chart.trend"), fontsize=22, ha="center",
             va="bottom")  # fmt: skip
        # The lines' key above the trend, in a row: no legend box over the lines.
        for n, (key, colour) in enumerate(TREND):
            x, y = 0.16 + 0.26 * n, trend_top + 0.03
            self.figure.add_artist(Line2D([x, x + 0.04], [y, y], linewidth=3, color=colour,
                                          marker="o", markersize=8, markevery=[1]))  # fmt: skip
            text(x + 0.055, y, t(f"digest.chart.{key}"), fontsize=14, va="center")

    def render(self, data: ChartData) -> bytes:
        """The PNG, 800 × 960 pixels."""
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in (*self._by_branch(data), *self._trend(data)):
            artist.draw(renderer)
        return _png(np.asarray(self.canvas.buffer_rgba()))

    def _by_branch(self, data: ChartData) -> list[Artist]:
        if not data.branches:
            self.none.set_text(t("digest.chart.none"))
            return [self.none]
        slots = max(len(data.branches), ROWS)
        totals = [sum(by_status.values()) for _, by_status in data.branches]
        self.bars.set_xlim(0, max(max(totals), 1) * 1.12)
        self.bars.set_ylim(slots - 0.5, -0.5)  # the busiest on top
        boxes, colours = [], []
        labels, counts = self.labels.take(len(totals)), self.counts.take(len(totals))
        for row, (label, by_status) in enumerate(data.branches):
            low, high, left = row - BAR / 2, row + BAR / 2, 0
            for status in STATUSES:
                count = by_status.get(status, 0)
                if count:
                    boxes.append(((left, low), (left + count, low), (left + count, high),
                                  (left, high)))  # fmt: skip
                    colours.append(COLOURS[status])
                    left += count
            labels[row].set_text(label)
            labels[row].set_position((-0.015, row))
            # The count at each bar's end, instead of an x axis.
            counts[row].set_text(f" {totals[row]}")
            counts[row].set_position((totals[row], row))
        self.boxes.set_verts(boxes)
        self.boxes.set_facecolor(colours)
        return [self.boxes, self.bars_edge, *labels, *counts]

    def _trend(self, data: ChartData) -> list[Artist]:
        weeks = len(data.weeks)
        series = (data.received, data.answered, data.resolved)
        highest = max(max((v for values in series for v in values), default=0), 1)
        ticks = [
            int(tick)
            for tick in MaxNLocator(nbins=4, integer=True).tick_values(0, highest)
            if 0 <= tick <= highest * 1.05
        ]
        self.trend.set_xlim(-0.4, weeks - 0.6)
        self.trend.set_ylim(0, max(highest * 1.05, ticks[-1]))
        self.grid.set_segments([((-0.4, tick), (weeks - 0.6, tick)) for tick in ticks[1:]])
        values, labels = self.values.take(len(ticks)), self.weeks.take(weeks)
        for text, tick in zip(values, ticks, strict=True):
            text.set_text(str(tick))
            text.set_position((-0.015, tick))
        for n, (text, week) in enumerate(zip(labels, data.weeks, strict=True)):
            text.set_text(week)
            text.set_position((n, -0.04))
        for line, points in zip(self.lines, series, strict=True):
            line.set_data(range(len(points)), points)
        return [self.grid, *values, *labels, *self.lines]


class _Texts:
    """Text artists of one kind, made when first needed and reused."""

    def __init__(self, make: Callable[[], Text]) -> None:
        self._make = make
        self._texts: list[Text] = []

    def take(self, count: int) -> list[Text]:
        while len(self._texts) < count:
            self._texts.append(self._make())
        return self._texts[:count]


def _png(rgba: np.ndarray) -> bytes:
    """A PNG of the pixels as they are (RGBA, all opaque): rows unfiltered, zlib level 1.
    Fast — dropping the alpha would cost a strided copy dearer than deflating it — and a
    chart is mostly flat colour, so still small."""
    height, width, _ = rgba.shape
    rows = np.zeros((height, width * 4 + 1), dtype=np.uint8)  # a row: filter 0 (none), pixels
    rows[:, 1:] = rgba.reshape(height, width * 4)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA
    idat = zlib.compress(rows.tobytes(), 1)
    parts = (chunk(b"IHDR", header), chunk(b"IDAT", idat), chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(parts)


_chart: Chart | None = None
_lock = threading.Lock()


def render_chart(data: ChartData) -> bytes:
    """The PNG, 800 × 960 pixels, on this process's one figure."""
    global _chart
    with _lock:
        if _chart is None:
            _chart = Chart()
        return _chart.render(data)


def warm() -> None:
    """Make this process's figure and draw one chart (fonts loaded, glyphs cached): the
    drawing pool's initializer, so no digest pays for it."""
    render_chart(ChartData([("1", {"new": 1})], ["01.01"] * 8, [1] * 8, [1] * 8, [1] * 8))
