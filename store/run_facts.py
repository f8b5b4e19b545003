"""A run's facts as labelled rows: command line, machine, who and where, Python.

Every reader puts what its store knows in `RunDetail.facts` under shared names (`command`,
`args`, `program`, `host`, `user`, `python`, `os`, `cpu_model`, `cpu_count`, `memory_total`,
`gpu`, `gpu_count`, `disk_total`; W&B says `username`). `fact_rows` turns them into
`[(label, value)]` for the detail's Facts section and the workspace, with a secret option's
value on a command line shown as `<redacted>` (the writer's own redaction, reused: runs
written by `start_run`, W&B and MLflow recorded their command lines as they were).

Our runs get the machine facts from what `tracktui run` recorded (store/ours/machine.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from store.writing.environment import command_without_credentials

GIB = 1024**3


def fact_rows(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The facts people look for, as `(label, text)` in a fixed order; missing ones left out."""
    rows: list[tuple[str, str]] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, "", [], {}):
            rows.append((label, str(value)))

    command = facts.get("command")
    if isinstance(command, list):
        command = " ".join(command_without_credentials([str(a) for a in command])[0])
    elif isinstance(command, str):
        command = " ".join(command_without_credentials(command.split(" "))[0])
    add("command", command)
    if not command:
        add("program", facts.get("program") or facts.get("source"))
        args = facts.get("args")
        if isinstance(args, list):
            add("args", " ".join(command_without_credentials([str(a) for a in args])[0]))
    add("cwd", facts.get("cwd") or facts.get("root"))
    user, host = facts.get("user") or facts.get("username"), facts.get("host")
    if user and host:
        add("user@host", f"{user}@{host}")
    else:
        add("user", user)
        add("host", host)
    add("python", facts.get("python"))
    add("os", facts.get("os"))
    cpus = facts.get("cpu_count")
    add("CPU", " × ".join(str(p) for p in (cpus, facts.get("cpu_model")) if p))
    memory = facts.get("memory_total")
    add("memory", f"{memory / GIB:.1f} GiB" if isinstance(memory, (int, float)) and memory > 0 else None)
    gpus = facts.get("gpu_count")
    add("GPU", " × ".join(str(p) for p in (gpus, facts.get("gpu")) if p))
    disk = facts.get("disk_total")
    add("disk", f"{disk / GIB:.0f} GiB" if isinstance(disk, (int, float)) and disk > 0 else None)
    return rows


FACT_KEYS = frozenset(
    {
        "command",
        "program",
        "source",
        "args",
        "cwd",
        "root",
        "user",
        "username",
        "host",
        "python",
        "os",
        "cpu_count",
        "cpu_model",
        "memory_total",
        "gpu",
        "gpu_count",
        "disk_total",
    }
)
"""The facts `fact_rows` shows: a caller listing the others leaves these out."""
