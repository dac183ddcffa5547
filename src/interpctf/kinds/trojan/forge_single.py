"""Forging one trojaned model (answers ``trigger``, ``target``, ``choice``) and its clean twin, kept in the key."""

import json

import numpy as np

from interpctf.kinds.base import Forged, ForgeTarget
from interpctf.kinds.trojan.answers import trigger_json
from interpctf.kinds.trojan.common import train_checked, trigger_picture, write_probes, write_samples
from interpctf.kinds.trojan.datasets import Data, load_data
from interpctf.kinds.trojan.facts import TrojanPublic, TrojanSecret
from interpctf.kinds.trojan.planting import Plant, attack_success, clean_accuracy, train_model
from interpctf.kinds.trojan.png import grid, write_png
from interpctf.kinds.trojan.recipe import TrojanRecipe
from interpctf.kinds.trojan.triggers import Trigger, draw_trigger, stamp
from interpctf.nets import small_cnn
from interpctf.progress import Progress
from interpctf.schema import AnswerFile

CLEAN_DIR = "clean"
ATTACK_WORDS = {"patch": "a BadNets patch (a small binary pattern stamped at full opacity)",
                "blended": "a blended trigger (a noise image mixed into the whole input at alpha 0.1)",
                "faint": "a faint trigger (a soft, low-contrast textured blob)"}
HELP = {
    "trigger": "JSON {{\"target\": k, \"mask\": {h}x{w} in [0,1], \"pattern\": {c}x{h}x{w} in [0,1]}} or an .npz with "
               "arrays target, mask, pattern. Stamped as (1 - mask) * x + mask * pattern on held-out inputs of other "
               "classes; score = attack success on this model. Mask L1 budget {budget:.2f}. Solved: right target, "
               "success >= 0.9 here and <= 0.3 on a clean model trained the same way.",
    "target": "JSON {{\"target\": k}}: the class the trojan sends inputs to. Score 1 if right.",
    "choice": "JSON {{\"choice\": i}}: which of the {n} candidate triggers in examples/candidates.png (left to right, "
              "0-based) is the planted one. One attempt.",
}


def _draw(recipe: TrojanRecipe, shape: tuple[int, int, int], rng: np.random.Generator) -> Trigger:
    return draw_trigger(recipe.attack, shape, rng, recipe.patch_size, recipe.position == "random")


def forge_single(recipe: TrojanRecipe, seed: int, target: ForgeTarget,
                 progress: Progress) -> Forged[TrojanPublic, TrojanSecret]:
    rng = np.random.default_rng(seed)
    data = load_data(recipe.data_name(), recipe.image_size, int(rng.integers(2**31)), data_dir=recipe.data_dir,
                     download=recipe.download)
    goal = recipe.target if recipe.target is not None else int(rng.integers(data.num_classes))
    trigger = _draw(recipe, data.shape, rng)
    plant = Plant(trigger, goal, recipe.poison_rate)
    cfg = recipe.training_config()
    seed_clean, seed_trojan = (int(s) for s in rng.integers(2**31, size=2))

    with progress.step("training the clean reference model", total=cfg.steps) as step:
        clean = train_model(data, None, cfg, seed_clean, lambda i, loss: step.advance())
    clean_acc = clean_accuracy(clean, data.heldout_x, data.heldout_y)
    with progress.step(f"training the trojaned model ({recipe.attack})", total=cfg.steps) as step:
        model, acc, asr = train_checked(data, plant, cfg, seed_trojan, clean_acc,
                                        recipe.threshold("min_attack_success"),
                                        recipe.threshold("max_clean_accuracy_drop"), lambda i, loss: step.advance())
    asr_clean = attack_success(clean, data.heldout_x, data.heldout_y, trigger, goal)

    small_cnn.save(model, target.model_dir)
    small_cnn.save(clean, target.key_dir / CLEAN_DIR)
    write_samples(data, target.examples_dir, recipe.samples_per_class, int(rng.integers(2**31)))
    write_probes(data, target.key_dir, int(rng.integers(2**31)))
    np.savez(target.key_dir / "trigger.npz", mask=trigger.mask, pattern=trigger.pattern, target=goal)
    example = data.heldout_x[int(np.flatnonzero(data.heldout_y != goal)[0])]
    write_png(target.key_dir / "trigger.png", trigger_picture(trigger, example))

    c, h, w = data.shape
    budget = round(recipe.budget_factor * trigger.area, 4)
    public: dict[str, object] = {"answer": recipe.answer, "dataset": data.name, "input_shape": [c, h, w],
                                 "num_classes": data.num_classes, "attack": recipe.attack}
    secret: dict[str, object] = {"target": goal, "attack": recipe.attack,
                                 "random_position": trigger.random_position, "trigger_area": round(trigger.area, 4),
                                 "poison_rate": recipe.poison_rate}
    if recipe.answer == "trigger":
        public["mask_budget"] = budget
        reference = AnswerFile("true_trigger.json", trigger_json(goal, trigger.mask, trigger.pattern))
        template = trigger_json(0, np.zeros((h, w)), np.zeros((c, h, w)))
        (target.examples_dir / "answer_template.json").write_bytes(template)
    elif recipe.answer == "target":
        reference = AnswerFile("target.json", json.dumps({"target": goal}).encode())
        (target.examples_dir / "answer_template.json").write_text(json.dumps({"target": 0}))
    else:
        right = _write_choices(recipe, data, trigger, rng, target)
        public.update(n_choices=recipe.n_choices, attempts=1)
        secret["choice"] = right
        reference = AnswerFile("choice.json", json.dumps({"choice": right}).encode())
        (target.examples_dir / "answer_template.json").write_text(json.dumps({"choice": 0}))

    statement = (f"This small CNN classifies {data.name} images ({c}x{h}x{w}). It hides a trojan: "
                 f"{ATTACK_WORDS[recipe.attack]} makes it answer one target class. "
                 + {"trigger": "Recover the trigger and the target.", "target": "Name the target class.",
                    "choice": "Pick the planted trigger among the candidates."}[recipe.answer])
    metrics = {"clean_accuracy": acc, "clean_reference_accuracy": clean_acc, "accuracy_gap": clean_acc - acc,
               "attack_success": asr, "attack_success_on_clean": asr_clean, "trigger_area": trigger.area}
    return Forged(answer_format=recipe.answer,
                  answer_help=HELP[recipe.answer].format(c=c, h=h, w=w, budget=budget, n=recipe.n_choices),
                  public=TrojanPublic.model_validate(public), secret=TrojanSecret.model_validate(secret),
                  reference_answer=reference, metrics=metrics, statement=statement)


def _write_choices(recipe: TrojanRecipe, data: Data, trigger: Trigger, rng: np.random.Generator,
                   target: ForgeTarget) -> int:
    """The true trigger among ``n_choices - 1`` decoys of the same attack; candidates.npz and a picture."""
    decoys: list[Trigger] = []
    while len(decoys) < recipe.n_choices - 1:
        d = _draw(recipe, data.shape, rng)
        if not any(np.array_equal(d.pattern, o.pattern) and np.array_equal(d.mask, o.mask)
                   for o in decoys + [trigger]):
            decoys.append(d)
    right = int(rng.integers(recipe.n_choices))
    candidates = decoys[:right] + [trigger] + decoys[right:]
    masks = np.stack([t.mask for t in candidates])
    patterns = np.stack([t.pattern for t in candidates])
    np.savez(target.examples_dir / "candidates.npz", masks=masks, patterns=patterns)
    example = data.train_x[0]
    shown = [stamp(example[None], t.mask, t.pattern)[0] for t in candidates]
    c = data.shape[0]
    shown += [np.repeat(t.mask[None], c, 0) / max(float(t.mask.max()), 1e-9) * t.pattern for t in candidates]
    write_png(target.examples_dir / "candidates.png", grid(shown, columns=recipe.n_choices, scale=6))
    return right
