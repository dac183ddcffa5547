"""``sae-lm``: the residual stream of the tiny world language model (a 4-layer GPT-2 trained on made-up facts).

What a reconstruction keeps is measured by splicing it into the model: next-token CE loss recovered and SAEBench's
KL score, both against zero-ablating the site. What a latent means is measured against the world's ground truth:
the relation of the fact sentence a token is in, and the identity of subject and object tokens.
"""

from __future__ import annotations

from pathlib import Path

import torch

from interpctf.lab import metrics as M
from interpctf.lab.config import SAEConfig
from interpctf.lab.tasks.base import TaskBudget, Task
from interpctf.errors import InterpctfError
from interpctf.lab.tasks.lm_data import LAYER, LMData
from interpctf.lab.tasks.lm_options import LMOptions, corpus_lines, load_model

# Top activations per latent for purity. Each subject occurs about 10 times in the 1,000 validation documents,
# so a latent for one subject can still fill its top 10 with that subject. Latents firing on fewer tokens than this
# are left out: a latent that fires once would be perfectly pure by default.
PURITY_TOP_N = 10


class LMTask(Task):
    name = "sae-lm"
    problems = ('tlm-tiny-lm-dictionary', 'sae-evaluation')
    instructions = f"""
A small language model. The activations are the residual stream after block {LAYER} (of 4; d_model 128) of a GPT-2
trained on a synthetic world of made-up people and their facts ("Tavo lives in Lisbon ."), at every non-BOS token
of corpus documents. Train an SAE (or, with transcoder: true, a transcoder from that block's MLP input to its
output). Score: next-token CE loss recovered with the SAE spliced into the model, (CE_zero_ablation - CE_sae) /
(CE_zero_ablation - CE_clean), 0 at the baseline config and 1 at the reference config; width is capped at 2048 and
L0 must stay at or below 8. Also reported: KL score (1 - KL(clean || sae) / KL(clean || zero ablation)), L0,
explained variance, dead fraction, and the purity of each latent's top-{PURITY_TOP_N} activating tokens by the
relation of the fact sentence they are in (relation_purity) and, among subject and object tokens, by which token
they are (entity_purity).
"""
    budget = TaskBudget(max_steps=6000, max_seconds=120, max_width=2048, max_l0=8)
    score_metric = "ce_loss_recovered"
    metric_names = ("ce_loss_recovered", "kl_score", "l0", "explained_variance", "dead_fraction",
                    "relation_purity", "entity_purity")
    default_config = {"architecture": "topk", "width": 512, "k": 8, "lr": 3e-3, "steps": 1000, "batch_size": 1024}
    # Zero-ablating the residual stream is ruinous (CE about 1.05 -> 8.7), so CE loss recovered sits near 1 for any
    # fair SAE and the anchors spread it out. Baseline: one latent per token, briefly trained. Reference: the best
    # of a 6-run grid at the bar (k=8; width 512/1024/2048, 1000-3000 steps, lr 1e-3/3e-3) that trains in well
    # under the time budget on a busy machine (width 1024 at 2000 steps was 0.0002 better and slower).
    baseline_config = {"architecture": "topk", "width": 512, "k": 1, "lr": 3e-3, "steps": 300, "batch_size": 1024}
    reference_config = {"architecture": "topk", "width": 512, "k": 8, "lr": 3e-3, "steps": 3000, "batch_size": 1024}
    anchors = (0.9571, 0.9988)  # measured by `interpctf lab calibrate sae-lm`
    options_model = LMOptions

    def load_data(self, config: SAEConfig, cache_dir: Path):
        opts = self.options
        if opts is None or opts.model is None:
            return LMData(cache_dir, config.transcoder)
        if config.transcoder:
            raise InterpctfError("transcoder: not available with --model yet; train an SAE at the site")
        from interpctf.lab.tasks.lm_own import OwnLMData

        model, tokenizer = load_model(opts.model)
        return OwnLMData(model, tokenizer, opts.hook, corpus_lines(opts.corpus), context=opts.context,
                         eval_tokens=opts.eval_tokens, buffer_tokens=opts.buffer_tokens)

    def sae_metadata(self):
        opts = self.options
        if opts is None or opts.model is None:
            return super().sae_metadata()
        return {"model_name": opts.model, "hook_name": opts.hook, "hook_head_index": None, "prepend_bos": False,
                "context_size": opts.context, "dataset_path": opts.corpus}

    def score(self, metrics):
        if self.options is None or self.options.model is None:
            return super().score(metrics)
        # The anchors were measured on the world model; on another model the score is CE loss recovered itself.
        if self.budget.max_l0 is not None and metrics.get("l0", 0.0) > self.budget.max_l0:
            return 0.0, f"L0 {metrics['l0']:.1f} is over the task's bar of {self.budget.max_l0:g}"
        return metrics[self.score_metric], None

    def evaluate(self, sae, data: LMData, split: str):
        s = data.split(split)
        with torch.no_grad():
            codes = sae.encode(s.x)
            y_hat = sae.decode(codes)
        clean, ablated = data.reference_logits(split)
        spliced = data.logits_with(split, lambda x: sae.decode(sae.encode(x)))
        tokens, entity = s.extras["token"], s.extras.get("entity")
        ce_clean, ce_ablated, ce_spliced = (M.cross_entropy(lg, tokens) for lg in (clean, ablated, spliced))
        metrics = {
            "ce_loss_recovered": M.loss_recovered(ce_clean, ce_ablated, ce_spliced),
            "kl_score": M.kl_score(M.kl_divergence(clean, spliced), M.kl_divergence(clean, ablated)),
            "l0": M.l0(codes),
            "explained_variance": M.explained_variance(s.y, y_hat),
            "dead_fraction": M.dead_fraction(codes),
            "ce_clean": ce_clean,
            "ce_spliced": ce_spliced,
        }
        if "relation" in s.extras:  # the world model's ground truth; another model's corpus has none
            metrics["relation_purity"] = M.class_purity(codes, s.extras["relation"], PURITY_TOP_N,
                                                        min_active=PURITY_TOP_N)
            metrics["entity_purity"] = M.class_purity(codes[torch.from_numpy(entity)], tokens[entity], PURITY_TOP_N,
                                                      min_active=PURITY_TOP_N)
        return metrics, {"firing_counts": M.firing_counts(codes)}
