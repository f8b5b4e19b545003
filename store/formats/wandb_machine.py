"""The machine a W&B run ran on, from its `environment` record or its `files/wandb-metadata.json`:
the command-line arguments, CPUs, memory, GPUs and disk under the names of store/run_facts.py.
"""

from __future__ import annotations

from typing import Any

__all__ = ["machine_facts", "metadata_machine"]


def machine_facts(found: dict[str, Any]) -> dict[str, Any]:
    """The run's command-line arguments and machine under the names of store/run_facts.py; zeros and
    empty values (what the record leaves unset) left out."""
    out: dict[str, Any] = {}
    for key, value in found.items():
        if key == "args":
            if isinstance(value, list) and value:
                out[key] = [str(v) for v in value]
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            out[key] = int(value)
        elif isinstance(value, str) and value:
            out[key] = value
    return out


def metadata_machine(meta: dict[str, Any]) -> dict[str, Any]:
    """`machine_facts` of `files/wandb-metadata.json` (snake_case as the SDK wrote it, camelCase as a
    protobuf-JSON writer may)."""

    def get(*names: str) -> Any:
        return next((meta[n] for n in names if n in meta), None)

    memory, cpu, disk = get("memory"), get("cpu"), get("disk")
    gpus = get("gpu_nvidia", "gpuNvidia")
    names = (
        sorted({str(g.get("name")) for g in gpus if isinstance(g, dict) and g.get("name")})
        if isinstance(gpus, list)
        else []
    )
    disks = [d.get("total") for d in disk.values() if isinstance(d, dict)] if isinstance(disk, dict) else []
    return machine_facts(
        {
            "args": get("args"),
            "cpu_count": get("cpu_count", "cpuCount"),
            "cpu_model": cpu.get("model") if isinstance(cpu, dict) else None,
            "memory_total": _whole(memory.get("total")) if isinstance(memory, dict) else None,
            "gpu": ", ".join(names) or get("gpu", "gpu_type", "gpuType"),
            "gpu_count": get("gpu_count", "gpuCount"),
            "disk_total": _whole(disks[0]) if len(disks) == 1 else None,
        }
    )


def _whole(value: Any) -> int | None:
    """A byte count: protobuf JSON writes 64-bit numbers as strings."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
