"""`tracktui models STORE [NAME]` and `tracktui model STORE NAME@ALIAS|NAME/VERSION`: the model registry
for scripts, read through `RunStore.models()` (MLflow's file, SQL and server stores, and ours).

`model` prints where a version's files are (a local path, or a server's artifact URI): the one
line a deploy script needs. A model, version or alias that is not there is one line on stderr
and exit status 1. Text from the store is printed through `printable`; JSON escapes it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

from store import RunStore
from store.model_entities import ModelNotFoundError, find_version

from ..shaping.sanitize import printable

Opener = Callable[[str, bool], RunStore]
COLUMNS = ("NAME", "VERSION", "ALIASES", "STAGE", "STATUS", "RUN", "CREATED", "METRICS", "DESCRIPTION")


def models_main(argv: list[str], open_store: Opener) -> int:
    parser = argparse.ArgumentParser(prog="tracktui models", description="List registered models and versions.")
    parser.add_argument("store")
    parser.add_argument("name", nargs="?", help="only this model")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per version")
    parser.add_argument("--logged", action="store_true", help="list MLflow 3 logged models instead")
    args = parser.parse_args(argv)
    reader = open_store(args.store, False)
    if args.logged:
        return _logged(reader, args.json)
    models = [m for m in reader.models() if args.name is None or m.name == args.name]
    if args.name is not None and not models:
        print(
            f"tracktui models: no registered model {printable(args.name)!r} in {printable(str(reader.root))}",
            file=sys.stderr,
        )
        return 1
    if args.json:
        for model in models:
            for version in model.versions:
                print(json.dumps(version.to_json()))
            if model.reason and not model.versions:
                print(json.dumps({"name": model.name, "version": None, "reason": model.reason}))
        return 0
    rows = [
        [model.name, "", "", "", "damaged", "", _when(model.created), "", model.reason or ""]
        for model in models
        if model.reason and not model.versions
    ]
    rows += [
        [
            v.name,
            str(v.version or "?"),
            ",".join(v.aliases),
            v.stage or "",
            "damaged" if v.reason else v.status or "",
            v.run_id or "",
            _when(v.created),
            _metrics(v.metrics),
            v.reason or v.description or "",
        ]
        for model in models
        for v in model.versions
    ]
    _table(rows)
    return 0


def _logged(reader: RunStore, as_json: bool) -> int:
    logged = reader.logged_models()
    if as_json:
        for m in logged:
            print(
                json.dumps(
                    {
                        "model_id": m.model_id,
                        "name": m.name,
                        "run_id": m.run_id,
                        "status": m.status,
                        "model_type": m.model_type,
                        "params": m.params,
                        "metrics": m.metrics,
                        "tags": m.tags,
                        "created": m.created,
                        "location": m.location,
                    }
                )
            )
        return 0
    _table(
        [["MODEL ID", "NAME", "STATUS", "RUN", "CREATED", "METRICS"]]
        + [[m.model_id, m.name, m.status or "", m.run_id or "", _when(m.created), _metrics(m.metrics)] for m in logged],
        header=False,
    )
    return 0


def model_main(argv: list[str], open_store: Opener) -> int:
    parser = argparse.ArgumentParser(prog="tracktui model", description="Print where a model version's files are.")
    parser.add_argument("store")
    parser.add_argument("ref", metavar="NAME@ALIAS|NAME/VERSION")
    args = parser.parse_args(argv)
    reader = open_store(args.store, False)
    try:
        version = find_version(reader.models(), args.ref)
        where = reader.model_files(version)
    except (ModelNotFoundError, ValueError) as exc:
        print(f"tracktui model: {printable(str(exc))}", file=sys.stderr)
        return 1
    if not where:
        print(
            f"tracktui model: where the files of {printable(version.ref)} are is not known "
            f"(source {printable(str(version.source))})",
            file=sys.stderr,
        )
        return 1
    print(printable(where))
    return 0


def _when(seconds: float | None) -> str:
    return "" if seconds is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _metrics(metrics: dict[str, float]) -> str:
    return " ".join(f"{key}={value:.4g}" for key, value in metrics.items())


def _table(rows: list[list[str]], header: bool = True) -> None:
    rows = ([list(COLUMNS)] if header else []) + [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
