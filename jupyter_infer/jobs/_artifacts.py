"""Trained models loaded once per process: a cache of artifacts by model version id (artifacts never change),
bounded by their size in bytes, least recently used first out (``$JUPYTER_INFER_MODEL_CACHE_MB``, default 1 GiB)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from ..engine import persist
from ..engine.model import Artifact

CACHE_BYTES = int(float(os.environ.get("JUPYTER_INFER_MODEL_CACHE_MB") or 1024) * (1 << 20))
_cache: OrderedDict[str, tuple[Artifact, int]] = OrderedDict()  # the size is the model file's: arrays are stored raw
_cache_lock = threading.Lock()


def remember_artifact(version_id: str, art: Artifact, size: int) -> None:
    """Keep ``art`` for the next inference with this version in this process (the training just built it)."""
    if size > CACHE_BYTES:
        return
    with _cache_lock:
        _cache[version_id] = (art, size)
        _cache.move_to_end(version_id)
        total = sum(n for _, n in _cache.values())
        while total > CACHE_BYTES:
            total -= _cache.popitem(last=False)[1][1]


def load_artifact(version: Mapping[str, Any]) -> Artifact:
    """A model version's artifact, loaded safely once per process (artifacts are immutable)."""
    key = str(version["id"])
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit[0]
    path = version.get("path")
    if not path or not Path(path).exists():
        raise InputError(f"The file of model version {key} is missing from the store; retrain the model.")
    art = persist.load(path)
    remember_artifact(key, art, Path(path).stat().st_size)
    return art
