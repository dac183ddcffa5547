"""Forging: recipe -> (public bundle, secret key) for every variant, written atomically.

The kind trains and plants; this module draws salts and seeds, runs the baselines, computes the commitment, and
writes the manifest and card. A failure leaves no half-written output: each variant is built in a temporary
folder and moved into place only when complete.
"""

import os
import secrets
import shutil
import tempfile
from pathlib import Path

from interpctf import __version__
from interpctf.bundle import (
    KEY_FILES_DIR, KEY_NAME, MANIFEST_NAME, BaselineResult, Key, Manifest, ReferenceAnswer, file_hashes,
    open_challenge,
)
from interpctf.calibration import run_baselines as run_baselines_on, run_solvers, summarize as summarize_calibration
from interpctf.card import render_card
from interpctf.errors import InterpctfError
from interpctf.kinds import get_kind
from interpctf.kinds.base import ForgeTarget, Recipe
from interpctf.progress import Progress, SilentProgress


def variant_seed(recipe: Recipe, variant: int) -> int:
    """Variant 0 uses the recipe's seed; the others derive distinct seeds from it deterministically."""
    return recipe.seed if variant == 0 else (recipe.seed * 1_000_003 + variant * 7919) % (2**31 - 1)


def variant_dir(out: Path, recipe: Recipe, variant: int) -> Path:
    return out if recipe.variants == 1 else out / "variants" / f"{variant:03d}"


def variant_id(challenge: str, recipe: Recipe, variant: int) -> str:
    return challenge if recipe.variants == 1 else f"{challenge}-v{variant:03d}"


def forge(recipe: Recipe, out: Path, challenge: str, progress: Progress | None = None,
          run_baselines: bool = True, calibrate: bool = False) -> list[Path]:
    """Forge every variant of ``recipe`` under ``out``; return the variant folders (each: bundle/, key.json).

    ``calibrate`` records in the manifest which baselines solve each variant, black-box vs white-box (it runs
    the baselines even when ``run_baselines`` is off)."""
    progress = progress or SilentProgress()
    kind = get_kind(recipe.kind)
    out = Path(out)
    done = []
    for variant in range(recipe.variants):
        final = variant_dir(out, recipe, variant)
        if (final / KEY_NAME).exists() or (final / "bundle").exists():
            raise InterpctfError(f"{final} already holds a forged challenge; choose another -o folder or delete it")
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".forge-", dir=final.parent))
        try:
            _forge_variant(kind, recipe, variant, staging, variant_id(challenge, recipe, variant), challenge,
                           progress, run_baselines, calibrate)
            final.mkdir(parents=True, exist_ok=True)
            for name in ("bundle", KEY_NAME, KEY_FILES_DIR):
                if (staging / name).exists():
                    os.replace(staging / name, final / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        done.append(final)
    return done


def _forge_variant(kind, recipe: Recipe, variant: int, where: Path, cid: str, challenge: str,
                   progress: Progress, run_baselines: bool, calibrate: bool) -> None:
    bundle_dir = where / "bundle"
    target = ForgeTarget(model_dir=bundle_dir / "model", examples_dir=bundle_dir / "examples",
                         key_dir=where / KEY_FILES_DIR)
    for folder in (target.model_dir, target.examples_dir, target.key_dir):
        folder.mkdir(parents=True, exist_ok=True)
    forged = kind.forge(recipe, variant, variant_seed(recipe, variant), target, progress)

    key = Key(id=cid, kind=kind.name, salt=secrets.token_hex(32), secret=forged.secret,
              reference_answer=ReferenceAnswer.of(forged.reference_answer), metrics=forged.metrics,
              bundle_files=file_hashes(bundle_dir), key_files=file_hashes(target.key_dir))
    manifest = Manifest(id=cid, challenge=challenge, variant=variant, variants=recipe.variants, kind=kind.name,
                        title=recipe.title, statement=recipe.statement or forged.statement, answer_format=forged.answer_format,
                        answer_help=forged.answer_help, public=forged.public, commitment=key.commitment(),
                        interpctf_version=__version__)
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
