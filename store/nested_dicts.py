"""Nested dicts of params: flattened to dotted keys for a table, merged key by key when logged again."""

from __future__ import annotations

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
