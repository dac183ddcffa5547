"""The reference world model: trained once per configuration, cached on disk, reused by tests and the CLI.

Cache: ``$INTERPCTF_CACHE/world-model/<hash>`` (default root ``~/.cache/interpctf``); the hash covers the
training configuration and a format version, so a changed recipe never reuses a stale model. A file lock makes
concurrent processes wait for one training instead of racing.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from transformers import AutoModelForCausalLM

from interpctf.canonical import canonical_json, sha256_hex
from interpctf.data.world import World
from interpctf.data.world_tokenizer import load_tokenizer
from interpctf.nets.hf import quiet_transformers
from interpctf.nets.threads import single_thread
from interpctf.nets.tiny_gpt import TinyGPTConfig, train_world_model
from interpctf.progress import Progress

FORMAT_VERSION = 1
REFERENCE_CONFIG = TinyGPTConfig()


@dataclass
class WorldModel:
    path: Path
    model: object       # transformers.GPT2LMHeadModel, in eval mode
    tokenizer: object   # transformers.PreTrainedTokenizerFast
    world: World
    metrics: dict


def cache_root(cache_dir: str | Path | None = None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    return Path(os.environ.get("INTERPCTF_CACHE", Path.home() / ".cache" / "interpctf"))


def config_hash(config: TinyGPTConfig) -> str:
    payload = {"format": FORMAT_VERSION, "config": config.model_dump(mode="json")}
    return sha256_hex(canonical_json(payload))[:16]


def load_world_model(path: str | Path) -> WorldModel:
    """Loads a saved world model directory (offline: nothing is fetched)."""
    path = Path(path)
    quiet_transformers()
    model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
    model.eval()
    metrics = json.loads((path / "metrics.json").read_text()) if (path / "metrics.json").exists() else {}
    return WorldModel(path, model, load_tokenizer(path), World.load(path / "world.json"), metrics)


def reference_world_model(cache_dir: str | Path | None = None, progress: Progress | None = None,
                          config: TinyGPTConfig | None = None) -> WorldModel:
    """The cached reference model, training it first if this configuration was never trained here."""
    config = config or REFERENCE_CONFIG
    root = cache_root(cache_dir) / "world-model"
    root.mkdir(parents=True, exist_ok=True)
    final = root / config_hash(config)
    with open(root / f"{final.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one trainer; the others wait and then load
        if not (final / "metrics.json").exists():
            tmp = root / f"{final.name}.tmp{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            world = World.generate(config.world)
            with single_thread():  # see interpctf.nets.threads: on a busy machine, far faster than two threads
                train_world_model(world, tmp, seed=config.seed, progress=progress, config=config)
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
    return load_world_model(final)


def stats_dir(model_path: str | Path) -> Path:
    """Where the key statistics of a cached model live (next to it)."""
    return Path(model_path) / "stats"
