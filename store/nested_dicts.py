"""Nested dicts of params and metrics: flattened to dotted (params) or `/`-joined (metrics) keys for a
table, merged key by key when logged again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: {"model": {"type": "x"}} -> {"model.type": "x"}."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def deep_merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Merge nested params: logging {"model": {"b": 1}} after {"model": {"a": 1}} keeps both."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = value


def flatten_metrics(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metrics as `/`-joined keys, as W&B users expect: {"train": {"loss": 1}} -> {"train/loss": 1}.

    Unlike `flatten` (params), an empty mapping adds nothing: it is no metric value.
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, name + "/"))
        else:
            flat[name] = value
    return flat
