"""The digest's picture: the week's mandates by status per branch (stacked bars, the
busiest branches, the rest in one bar) above the last 8 weeks' trend (received, first
answers, resolved). Large fonts and Russian labels, to be read on a phone.

Plain data in, PNG bytes out, with matplotlib's non-interactive Agg backend and an
object-oriented `Figure` (no pyplot state): safe in a worker thread or process. A chart
takes tens of milliseconds of CPU: callers run it off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.services.digest.figures import STATUSES, Digest
from bot.texts import t

TOP_BRANCHES = 10
# 800 × 960 pixels: sharp on a phone, and every tick and pixel costs CPU (1,000 digests).
DPI = 80
COLOURS = {
    "new": "#e4572e",
    "accepted": "#f3a712",
    "clarification": "#a8c686",
    "forwarded": "#669bbc",
    "resolved": "#29335c",
    "rejected": "#999999",
}


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


def render_chart(data: ChartData) -> bytes:
    """The PNG, 800 × 960 pixels."""
    figure = Figure(figsize=(10, 12), dpi=DPI)
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 2))
    _by_branch(top, data)
    _trend(bottom, data)
    figure.subplots_adjust(left=0.22, right=0.97, top=0.95, bottom=0.07, hspace=0.7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _by_branch(axes: Axes, data: ChartData) -> None:
    axes.set_title(t("digest.chart.by_branch"), fontsize=22, pad=14)
    if not data.branches:
        axes.text(0.5, 0.5, t("digest.chart.none"), ha="center", va="center", fontsize=20)
        axes.set_axis_off()
        return
    labels = [label for label, _ in data.branches][::-1]  # the busiest on top
    counts = [by_status for _, by_status in data.branches][::-1]
    left = [0] * len(labels)
    for status in STATUSES:
        values = [c.get(status, 0) for c in counts]
        if not any(values):
            continue
        axes.barh(
            labels,
            values,
            left=left,
            color=COLOURS[status],
            label=t(f"mandates.status.{status}"),
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    totals = [sum(c.values()) for c in counts]
    for row, value in enumerate(totals):  # the count at each bar's end, instead of an x axis
        axes.text(value, row, f" {value}", va="center", fontsize=16)
    axes.set_xticks([])
    axes.set_xlim(0, max(totals) * 1.12)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=16, length=0)
    # Below the bars, never over them.
    axes.legend(fontsize=14, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3,
                frameon=False)  # fmt: skip


def _trend(axes: Axes, data: ChartData) -> None:
    axes.set_title(t("digest.chart.trend"), fontsize=22, pad=14)
    x = range(len(data.weeks))
    for values, key, colour in (
        (data.received, "received", "#e4572e"),
        (data.answered, "answered", "#f3a712"),
        (data.resolved, "resolved", "#29335c"),
    ):
        axes.plot(x, values, marker="o", linewidth=3, markersize=8, color=colour,
                  label=t(f"digest.chart.{key}"))  # fmt: skip
    axes.set_xticks(list(x), data.weeks)
    axes.tick_params(labelsize=15)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=14, loc="upper left")
