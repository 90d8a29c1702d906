"""Bar charts as inline SVG drawn on the server: no JavaScript library, no network (pure).

Closed government networks cannot reach a CDN, so the dashboard's charts are plain
SVG elements; every label is escaped. Colours come from CSS classes (`series-0`, …)
with a fill attribute as fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#075e54", "#f08c00", "#c92a2a", "#1c7ed6", "#868e96")


@dataclass(frozen=True)
class Series:
    """One named row of values, one per label."""

    name: str
    values: tuple[float, ...]


def _nice_max(value: float) -> float:
    """Return a round axis maximum at or above value (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if value == int(value) else f"{value:.1f}"


def bars(
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    stacked: bool = False,
    unit: str = "",
    width: int = 640,
    height: int = 220,
    label_every: int = 1,
) -> Markup:
    """Return an SVG bar chart: stacked or side-by-side bars per label, with a legend.

    Args:
        label_every: show every n-th label under the axis (30 days do not fit otherwise).
    """
    left, right, top, bottom = 44, 8, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(labels), 1)
    totals = [
        sum(s.values[i] for s in series)
        if stacked
        else max((s.values[i] for s in series), default=0)
        for i in range(len(labels))
    ]
    top_value = _nice_max(max(totals, default=0))
    slot = plot_w / count
    group_w = slot * 0.8
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):
        value = top_value * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd"/>'
        )
        parts.append(
            f'<text class="axis" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="11">{escape(_number(value))}{escape(unit)}</text>'
        )
    for i, label in enumerate(labels):
        x0 = left + slot * i + (slot - group_w) / 2
        base = top + plot_h
        for k, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top_value
            if stacked:
                x, w = x0, group_w
                y = base - h
                base = y
            else:
                w = group_w / len(series)
                x, y = x0 + w * k, top + plot_h - h
            tip = f"{label} · {s.name}: {_number(value)}{unit}"
            parts.append(
                f'<rect class="series-{k}" x="{x:.1f}" y="{y:.1f}" width="{max(w - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text class="axis" x="{left + slot * (i + 0.5):.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle" font-size="11">{escape(label)}</text>'
            )
    legend_x = left
    for k, s in enumerate(series):
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{legend_x + 14}" y="{height - 5}" font-size="11">{escape(s.name)}</text>'
        )
        legend_x += 24 + 7 * len(s.name)
    parts.append("</svg>")
    # Every piece of text above went through escape(); the rest is fixed markup.
    return Markup("".join(parts))  # noqa: S704
