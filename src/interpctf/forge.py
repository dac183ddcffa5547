"""Forging: recipe -> (public bundle, secret key) for every variant, written atomically, quality bars guaranteed.

The kind trains and plants; this module draws salts and seeds, holds the model to the recipe's quality bars,
runs the baselines, computes the commitment, and writes the manifest and card. A model trained from a seed is
not the same on another processor, so each variant is forged up to ``max_attempts`` times: attempt 0 from the
variant's seed, later ones from seeds derived from it, each into a fresh staging folder; the first attempt whose
figures meet every bar is kept and every attempt's seed and figures go into the key. A failure leaves nothing
behind: variants are built in temporary folders and moved into place only when complete.
"""

import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from interpctf import __version__
from interpctf.bars import Attempt, QualityRecord, QualitySummary, check_bars, evaluate, failure_message
from interpctf.bundle import KEY_FILES_DIR, KEY_NAME, MANIFEST_NAME, file_hashes, open_challenge
from interpctf.calibration import run_baselines as run_baselines_on, run_solvers, summarize as summarize_calibration
from interpctf.canonical import sha256_hex
from interpctf.card import render_card
from interpctf.errors import BadRecipe, InterpctfError
from interpctf.kinds import get_kind
from interpctf.kinds.base import Forged, ForgeTarget, Recipe
from interpctf.progress import Progress, SilentProgress
from interpctf.schema import BaselineResult, Key, Manifest, ReferenceAnswer

OUTPUTS = ("bundle", KEY_NAME, KEY_FILES_DIR)


def variant_seed(recipe: Recipe, variant: int) -> int:
    """Variant 0 uses the recipe's seed; the others derive distinct seeds from it deterministically."""
    return recipe.seed if variant == 0 else (recipe.seed * 1_000_003 + variant * 7919) % (2**31 - 1)


def variant_dir(out: Path, recipe: Recipe, variant: int) -> Path:
    return out if recipe.variants == 1 else out / "variants" / f"{variant:03d}"


def variant_id(challenge: str, recipe: Recipe, variant: int) -> str:
    return challenge if recipe.variants == 1 else f"{challenge}-v{variant:03d}"


def attempt_seed(seed: int, attempt: int) -> int:
    """Attempt 0 keeps the variant's seed (recipes forged before bars forge the same); later attempts derive
    distinct seeds from it deterministically."""
    if attempt == 0:
        return seed
    derived = int(sha256_hex(f"interpctf-attempt:{seed}:{attempt}".encode())[:15], 16) % (2**31 - 1)
    return derived if derived != seed else (derived + 1) % (2**31 - 1)


def forge(recipe: Recipe, out: Path, challenge: str, progress: Progress | None = None,
          run_baselines: bool = True, calibrate: bool = False) -> list[Path]:
    """Forge every variant of ``recipe`` under ``out``; return the variant folders (each: bundle/, key.json).

    ``calibrate`` records in the manifest which baselines solve each variant, black-box vs white-box (it runs
    the baselines even when ``run_baselines`` is off). Raises :class:`InterpctfError` naming the bar when no
    attempt of a variant meets every quality bar; then nothing this call wrote is left."""
    progress = progress or SilentProgress()
    kind = get_kind(recipe.kind)
    try:
        bars = recipe.quality_bars()
    except ValueError as exc:
        raise BadRecipe(str(exc)) from None
    out = Path(out)
    done, written = [], []
    try:
        for variant in range(recipe.variants):
            final = variant_dir(out, recipe, variant)
            if any((final / name).exists() for name in (KEY_NAME, "bundle")):
                raise InterpctfError(f"{final} already holds a forged challenge; choose another -o folder or "
                                     f"delete it")
            final.parent.mkdir(parents=True, exist_ok=True)
            with _forge_attempts(kind, recipe, bars, variant, final.parent, progress) as (staging, forged, quality):
                _publish(kind, recipe, forged, quality, variant, staging, variant_id(challenge, recipe, variant),
                         challenge, progress, run_baselines, calibrate)
                final.mkdir(parents=True, exist_ok=True)
                for name in OUTPUTS:
                    if (staging / name).exists():
                        os.replace(staging / name, final / name)
                        written.append(final / name)
            done.append(final)
    except BaseException:
        for path in written:  # earlier variants of this call: a failed forge leaves nothing
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        raise
    return done


class _AttemptProgress:
    """Prefixes every step the kind reports with "attempt k/N"."""

    def __init__(self, inner: Progress, attempt: int, total: int):
        self.inner, self.prefix = inner, f"attempt {attempt}/{total}: "

    def step(self, description: str, total: float | None = None):
        return self.inner.step(self.prefix + description, total)


@contextmanager
def _forge_attempts(kind, recipe: Recipe, bars, variant: int, parent: Path, progress: Progress):
    """Yield (staging folder, Forged, QualityRecord) of the first attempt meeting every bar; the staging
    folders of all attempts are removed on leaving."""
    seed, attempts, kept = variant_seed(recipe, variant), [], None
    try:
        for k in range(recipe.max_attempts):
            staging = Path(tempfile.mkdtemp(prefix=".forge-", dir=parent))
            try:
                forged = _forge_one(kind, recipe, variant, attempt_seed(seed, k), staging,
                                    _AttemptProgress(progress, k + 1, recipe.max_attempts))
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            failed = check_bars(bars, forged.metrics)
            attempts.append(Attempt(seed=attempt_seed(seed, k), figures=forged.metrics, passed=not failed))
            if not failed:
                kept = staging
                break
            shutil.rmtree(staging, ignore_errors=True)
        if kept is None:
            raise InterpctfError(failure_message(bars, attempts))
        yield kept, forged, QualityRecord(bars=bars, attempts=attempts, max_attempts=recipe.max_attempts)
    finally:
        if kept is not None:
            shutil.rmtree(kept, ignore_errors=True)


def _forge_one(kind, recipe: Recipe, variant: int, seed: int, where: Path, progress: Progress) -> Forged:
    bundle_dir = where / "bundle"
    target = ForgeTarget(model_dir=bundle_dir / "model", examples_dir=bundle_dir / "examples",
                         key_dir=where / KEY_FILES_DIR)
    for folder in (target.model_dir, target.examples_dir, target.key_dir):
        folder.mkdir(parents=True, exist_ok=True)
    return kind.forge(recipe, variant, seed, target, progress)


def _publish(kind, recipe: Recipe, forged: Forged, quality: QualityRecord, variant: int, where: Path, cid: str,
             challenge: str, progress: Progress, run_baselines: bool, calibrate: bool) -> None:
    """Write the key, manifest and card of the kept attempt; baselines and calibration run on it alone."""
    bundle_dir = where / "bundle"
    key = Key(id=cid, kind=kind.name, salt=secrets.token_hex(32), secret=forged.secret.stored(),
              reference_answer=ReferenceAnswer.of(forged.reference_answer), metrics=forged.metrics,
              bundle_files=file_hashes(bundle_dir), key_files=file_hashes(where / KEY_FILES_DIR), quality=quality)
    summary = QualitySummary(checks=evaluate(quality.bars, forged.metrics), attempts=len(quality.attempts),
                             max_attempts=quality.max_attempts)
    manifest = Manifest(id=cid, challenge=challenge, variant=variant, variants=recipe.variants, kind=kind.name,
                        title=recipe.title, statement=recipe.statement or forged.statement, answer_format=forged.answer_format,
                        answer_help=forged.answer_help, public=forged.public.stored(), commitment=key.commitment(),
                        quality=summary, interpctf_version=__version__, problems=recipe.problems)
    (where / KEY_NAME).write_text(key.model_dump_json(indent=1))
    _write_manifest(bundle_dir, manifest)
    if run_baselines or calibrate:
        challenge_obj = open_challenge(bundle_dir, where / KEY_NAME)
        with progress.step("baselines", total=len(kind.baselines())) as step:
            runs = run_baselines_on(kind, challenge_obj, step.advance)
        # The manifest shows public-split figures only: the private split stays unexamined.
        manifest.baselines = {name: BaselineResult(score=r.score, solved=r.solved) for name, r in runs.items()}
        if calibrate:
            with progress.step("calibration solvers", total=1) as step:
                solvers = run_solvers(challenge_obj)
                step.advance()
            manifest.calibration = summarize_calibration({**runs, **solvers})
        _write_manifest(bundle_dir, manifest)
    (bundle_dir / "README.md").write_text(render_card(kind, open_challenge(bundle_dir)))


def _write_manifest(bundle_dir: Path, manifest: Manifest) -> None:
    (bundle_dir / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=1))
