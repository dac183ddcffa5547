"""Plots of a run against the others of its task: the sparsity/reconstruction frontier and the latent-firing
histogram (dead latents get their own bar, since log frequency of zero has no place on the axis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from interpctf.errors import InterpctfError


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points not beaten by another with lower-or-equal L0 and higher-or-equal explained variance."""
    front, best = [], -np.inf
    for l0, ev in sorted(points, key=lambda p: (p[0], -p[1])):
        if ev > best:
            front.append((l0, ev))
            best = ev
    return front


def frontier_plot(runs: list, highlight: int, path: str | Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    pts = [(r.metrics["l0"], r.metrics["explained_variance"]) for r in runs]
    archs = sorted({r.config.get("architecture", "-") for r in runs})
    for i, arch in enumerate(archs):
        sel = [p for p, r in zip(pts, runs) if r.config.get("architecture", "-") == arch]
        ax.scatter(*zip(*sel), s=28, alpha=0.75, label=arch, color=f"C{i}")
    front = pareto_front(pts)
    ax.plot(*zip(*front), color="grey", lw=1, ls="--", label="frontier")
    me = next(r for r in runs if r.id == highlight)
    ax.scatter([me.metrics["l0"]], [me.metrics["explained_variance"]], s=160, facecolors="none",
               edgecolors="black", lw=1.5, label=f"run {highlight}")
    l0s = [p[0] for p in pts]
    if min(l0s) > 0 and max(l0s) / min(l0s) > 20:  # dense baselines next to sparse runs: a log axis keeps both
        ax.set_xscale("log")
    ax.set_xlabel("L0 (active latents per sample, validation)")
    ax.set_ylabel("explained variance (validation)")
    ax.set_title(f"{me.task}: sparsity vs reconstruction, {len(runs)} runs")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def dead_latent_plot(firing_counts: np.ndarray, n_samples: int, run_id: int, path: str | Path) -> Path:
    plt = _plt()
    counts = np.asarray(firing_counts)
    dead = int((counts == 0).sum())
    freq = counts[counts > 0] / n_samples
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    if freq.size:
        lo = np.floor(np.log10(freq.min()))
        bins = np.linspace(lo, 0, 31)
        ax.hist(np.log10(freq), bins=bins, color="C0", label=f"live latents ({freq.size})")
        ax.bar([lo - 0.35], [dead], width=0.25, color="C3", label=f"dead latents ({dead})")
        # The dead bar is not a frequency: label it where it stands so nobody reads it as 10^-x.
        ax.text(lo - 0.35, dead, "never\nfired", ha="center", va="bottom", fontsize=7, color="C3")
    else:
        ax.bar([0], [dead], color="C3", label=f"dead latents ({dead})")
    ax.set_xlabel("log10 firing frequency on validation samples")
    ax.set_ylabel("latents")
    ax.set_title(f"run {run_id}: latent firing frequencies ({dead / counts.size:.1%} dead)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


def write_plots(store, run_id: int) -> list[Path]:
    rec = store.get(run_id)
    out = Path(rec.artifacts_path)
    runs = store.list(rec.task, rec.board)
    try:
        arrays = np.load(out / "val_arrays.npz")
        counts, n = arrays["firing_counts"], int(arrays["n_samples"])
    except (OSError, KeyError):
        raise InterpctfError(f"run {run_id}'s artifacts in {out} are incomplete; re-run its config") from None
    return [frontier_plot(runs, run_id, out / "frontier.png"), dead_latent_plot(counts, n, run_id, out / "dead.png")]
