"""Score over time for the top teams as a server-rendered SVG (no JavaScript, no CDN)."""

import math
from datetime import datetime
from html import escape

COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f", "#7c2d12",
          "#475569"]
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 960, 300, 56, 170, 16, 36


def _t(s: str) -> float:
    return datetime.fromisoformat(s.rstrip("Z")).timestamp()


def axis_ticks(low: float, top: float, most: int = 6) -> list[int]:
    """Gridline values from ``low`` to ``top`` (widened to whole steps) on a 1-2-5 integer step, at most ``most`` of
    them, so no two labels read the same: quarters of a span of 1, rounded, had labelled the empty chart 1, 1, 0, 0, 0."""
    steps = (m * 10**k for k in range(16) for m in (1, 2, 5))
    lo = math.floor(low)
    hi = max(math.ceil(top), lo + 1)
    step = next(s for s in steps if math.ceil(hi / s) - math.floor(lo / s) <= most - 1)
    return list(range(math.floor(lo / step) * step, math.ceil(hi / step) * step + 1, step))


def render_chart(board: dict, start: datetime, end: datetime, now: datetime | None = None) -> str:
    """The x axis runs from the start to now (or the end, once over); steps at each score change."""
    series = [s for s in board.get("series", []) if s["points"]]
    t0 = start.timestamp()
    edge = min(end, now).timestamp() if now is not None else end.timestamp()
    t1 = max([edge, t0 + 60] + [_t(p[0]) for s in series for p in s["points"]])
    ticks = axis_ticks(min([0] + [p[1] for s in series for p in s["points"]]),
                       max([1] + [p[1] for s in series for p in s["points"]]))
    low, span = ticks[0], ticks[-1] - ticks[0]
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def x(t: float) -> float:
        return PAD_L + pw * (t - t0) / (t1 - t0)

    def y(v: float) -> float:
        return PAD_T + ph * (1 - (v - low) / span)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
           f'role="img" aria-label="Score over time for the top teams" font-family="sans-serif" font-size="11">',
           f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>']
    for v in ticks:
        out.append(f'<line x1="{PAD_L}" x2="{PAD_L + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{PAD_L - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#6b7280">{v}</text>')
    for frac in (0, 0.5, 1):
        t = t0 + (t1 - t0) * frac
        label = datetime.utcfromtimestamp(t).strftime("%m-%d %H:%M")
        out.append(f'<text x="{x(t):.1f}" y="{H - 12}" text-anchor="middle" fill="#6b7280">{label}</text>')
    if not series:
        out.append(f'<text x="{PAD_L + pw / 2}" y="{PAD_T + ph / 2}" text-anchor="middle" fill="#6b7280">'
                   f'no points scored yet</text>')
    for i, s in enumerate(series):
        color = COLORS[i % len(COLORS)]
        pts, last = [f"{x(t0):.1f},{y(0):.1f}"], 0
        for at, v in s["points"]:
            tx = x(_t(at))
            pts.append(f"{tx:.1f},{y(last):.1f}")
            pts.append(f"{tx:.1f},{y(v):.1f}")
            last = v
        pts.append(f"{x(t1):.1f},{y(last):.1f}")
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(pts)}"/>')
        ly = PAD_T + 14 * i + 8
        out.append(f'<rect x="{W - PAD_R + 12}" y="{ly - 8}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{W - PAD_R + 28}" y="{ly + 1}" fill="#111827">{escape(s["team"][:18])}</text>')
    out.append("</svg>")
    return "\n".join(out)
