"""The benchmark plot: normalized score per challenge, one bar per solver, failures marked."""

from pathlib import Path

from interpctf.solvers.bench.schema import BenchReport


def plot_report(report: BenchReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    challenges = [c.id for c in report.challenges]
    solvers = [s.solver for s in report.summary]
    width = 0.8 / max(len(solvers), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(challenges) + 2), 4.2))
    for i, solver in enumerate(solvers):
        runs = {r.challenge: r for r in report.results if r.solver == solver}
        xs = [k + (i - (len(solvers) - 1) / 2) * width for k in range(len(challenges))]
        heights = [runs[c].normalized if c in runs and runs[c].normalized is not None else 0.0 for c in challenges]
        bars = ax.bar(xs, heights, width, label=solver)
        for x, c in zip(xs, challenges):
            run = runs.get(c)
            if run is not None and run.status != "ok":
                ax.text(x, 0.02, "×", ha="center", va="bottom", color="crimson", fontsize=12)
            elif run is not None and run.solved:
                ax.text(x, (run.normalized or 0) + 0.02, "✓", ha="center", va="bottom", fontsize=9,
                        color=bars.patches[0].get_facecolor())
    scores = [r.normalized for r in report.results if r.normalized is not None] or [0.0]
    ax.set_ylim(min(0.0, min(scores)) - 0.05, max(1.0, max(scores)) + 0.12)  # room for the marks above 1
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(1, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xticks(range(len(challenges)))
    ax.set_xticklabels(challenges, rotation=15, ha="right", fontsize=8)
    ax.set_ylabel("normalized score (trivial 0, key 1)")
    ax.set_title(f"solvers on suite '{report.suite}' (✓ solved, × failed)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
