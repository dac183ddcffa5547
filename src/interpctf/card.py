"""The challenge card (the bundle's README.md): what the challenge is, how to load the model, how to answer."""

from interpctf.calibration import calibration_text
from interpctf.kinds.base import Kind
from interpctf.schema import Challenge


def _baselines_table(challenge: Challenge) -> str:
    results = challenge.manifest.baselines
    if not results:
        return "No baselines were run when this challenge was forged.\n"
    rows = "\n".join(f"| {name} | {r.score:.4f} | {'yes' if r.solved else 'no'} |" for name, r in results.items())
    return ("Baseline solvers that see only this bundle, graded on the public probe split:\n\n"
            "| baseline | score | solved |\n|---|---|---|\n" + rows + "\n")


def _quality_table(challenge: Challenge) -> str:
    quality = challenge.manifest.quality
    if quality is None:
        return "This challenge was forged before quality bars were recorded.\n"
    if not quality.checks:
        return f"This kind declares no quality bars; forged in {quality.attempts} attempt(s).\n"
    rows = "\n".join(f"| {c.bar.name} | {c.bar.sign} {c.bar.threshold:g} | {c.figure:.4f} | "
                     f"{'yes' if c.met else 'no'} |" for c in quality.checks)
    return (f"The model was held to these bars; forging took {quality.attempts} of at most {quality.max_attempts} "
            f"attempts (each from its own seed, all recorded in the key). `interpctf check` re-measures them.\n\n"
            "| bar | threshold | figure reached | met |\n|---|---|---|---|\n" + rows + "\n")


def _problems_text(challenge: Challenge) -> str:
    """The open-problems catalogue entries the challenge instantiates (titles when the catalogue is found)."""
    ids = challenge.manifest.problems
    if not ids:
        return ""
    from interpctf.catalogue import BadCatalogue, default_catalogue
    try:
        titles = {e.id: e.title for e in default_catalogue().entries}
    except BadCatalogue:
        titles = {}
    rows = "\n".join(f"- `{i}`" + (f": {titles[i]}" if i in titles else "") for i in ids)
    return ("## Open problems\n\nThis challenge is a graded instance of these entries of the open-problems catalogue "
            f"(`interpctf problems`):\n\n{rows}\n\n")


def render_card(kind: Kind, challenge: Challenge) -> str:
    m = challenge.manifest
    variant = f" (variant {m.variant + 1} of {m.variants})" if m.variants > 1 else ""
    return f"""# {m.title}{variant}

{m.statement}

- challenge: `{m.id}` · kind: `{m.kind}` · answer format: `{m.answer_format}`
- commitment: `{m.commitment}` ({m.commitment_scheme})

## Your answer

{m.answer_help}

Grade it yourself once the key is revealed: `interpctf grade BUNDLE KEY ANSWER`; during an event,
`interpctf submit {m.challenge} ANSWER --wait`.

{kind.card(challenge)}
{_problems_text(challenge)}## Quality bars

{_quality_table(challenge)}
## Baselines

{_baselines_table(challenge)}
## Calibration

{calibration_text(m.calibration)}
## Checking the organizers

`commitment` above is the SHA-256 of the answer key, salted, published before anyone could answer. When the key
is revealed, run `interpctf verify BUNDLE KEY`: it recomputes the hash and checks that the key names exactly the
files of this bundle.
"""
