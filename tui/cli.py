"""The `tracktui` command: argument parsing and dispatch; what a subcommand prints lives in `tui/commands/`."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import NotAStoreError, RunStore, StoreError, open_store, resolve_root
from store.opening.detect import EXPECTED
from store.ours.layout import STORE_ENV, STORE_MARKER
from store.ours.reader import TrackStore

from .shaping.formatting import format_duration
from .shaping.sanitize import printable

if TYPE_CHECKING:
    from textual.pilot import Pilot

MLFLOW_URI_ENV = "MLFLOW_TRACKING_URI"
CURATE_COMMANDS = ("tag", "note", "rename", "rm", "restore", "gc")

USAGE = """\
tracktui [STORE...]                      open the app on a store (default: $TRACKTUI_STORE or ./tracktui-store);
                                         several stores (paths, URLs) or a folder holding some: one table
tracktui demo [DIR]                      write a demo store and open it
tracktui ls [STORE...] [--filter EXPR] [--sort KEY[,-KEY]] [--columns K,K] [--limit N] [--group KEY[,KEY]]
            [--deleted] [--json|--csv|--tsv|--table]
                                         print the runs (a table; tab-separated lines when piped)
tracktui tag STORE RUN KEY=VALUE... [--rm KEY]   add, change or remove tags (RUN: id, id prefix or name)
tracktui note STORE RUN TEXT|-           write a run's note (- reads stdin)
tracktui rename STORE RUN NAME           rename a finished run
tracktui rm STORE RUN...                 move runs to the store's trash
tracktui restore STORE RUN...            bring deleted runs back
tracktui gc STORE --older-than 30d       empty the trash of runs deleted longer ago
tracktui diff STORE RUN RUN [...]        print a diff of runs (by id, id prefix or name)
tracktui run [OPTIONS] -- CMD [ARGS...]  run a command as a run (exit code, console, system metrics)
tracktui logs STORE RUN [--follow] [--tail N]  print what a run printed
tracktui push STORE URL [--filter EXPR] [--experiment E]  upload runs to an MLflow tracking server
tracktui models STORE [NAME] [--json] [--logged]  list registered models and their versions
tracktui model STORE NAME@ALIAS|NAME/VERSION  print where a model version's files are

STORE may be an MLflow tracking server URL (http://host:5000); with no STORE, no $TRACKTUI_STORE
and no ./tracktui-store, $MLFLOW_TRACKING_URI is opened. `tracktui URL --resync` and
`tracktui ls URL --resync` read every run again (ctrl+r in the app), not only what changed.
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = (
        argv[0]
        if argv and argv[0] in ("demo", "ls", "diff", "run", "logs", "push", "models", "model", *CURATE_COMMANDS)
        else "open"
    )
    if command == "run":  # its own errors and Ctrl-C belong to the wrapped command
        from .commands.run import run_main

        return run_main(argv[1:])
    try:
        if command == "demo":
            return demo(argv[1:])
        if command == "ls":
            return ls(argv[1:])
        if command == "diff":
            return diff(argv[1:])
        if command == "logs":
            from .commands.logs import logs_main

            return logs_main(argv[1:])
        if command == "push":
            from .commands.push import push_main

            return push_main(argv[1:], _open)
        if command in ("models", "model"):
            from .commands.models import model_main, models_main

            return (models_main if command == "models" else model_main)(argv[1:], _open)
        if command in CURATE_COMMANDS:
            from .commands.curate import curate_command

            return curate_command(command, argv[1:], _open)
        return open_app(argv)
    except (NotAStoreError, StoreError) as exc:
        message = "\n".join(printable(line) for line in str(exc).splitlines())
        print(f"tracktui: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tracktui ls --json | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def open_app(argv: list[str]) -> int:
    parser = _parser("tracktui", "A terminal browser for ML runs.\n\n" + USAGE)
    parser.add_argument(
        "store",
        nargs="*",
        help="stores: tracktui, MLflow (mlruns/, mlflow.db), DVCLive, "
        "Lightning CSV, trainer_state.json, trackio; or a folder holding some",
    )
    parser.add_argument("--deleted", action="store_true", help="show deleted MLflow runs and experiments")
    parser.add_argument("--resync", action="store_true", help=RESYNC_HELP)
    args = parser.parse_args(argv)
    if len(args.store) > 1:
        many = open_store(args.store, include_deleted=args.deleted)  # sources open in the app's worker
        return _run_app(str(many.root), many, args.deleted)
    arg = args.store[0] if args.store else None
    path = _store_path(arg)
    reader = None
    if _needs_search(path):
        pass  # the app searches the folder in its worker and shows how far it got
    elif arg is None and not os.environ.get(STORE_ENV) and "://" not in path and not Path(path).exists():
        # Plain `tracktui` before the first run: the welcome says how to log one and shows it
        # as soon as it starts. Any path the user named must exist, checked below.
        pass
    else:
        reader = _open(path, args.deleted)  # a path that is not a store fails here, before the UI starts
    if args.resync and reader is not None:
        _ask_resync(reader)
    return _run_app(path, reader, args.deleted, args.resync)


RESYNC_HELP = (
    "read every run of a tracking server again instead of only what changed since the cached "
    "listing (shows edits of params or tags on old runs; ctrl+r in the app)"
)


def _ask_resync(reader: RunStore) -> None:
    """`--resync`: the next refresh reads every run; a store with nothing more to read says so in one line."""
    if not reader.resync():
        print(
            f"tracktui: --resync: {printable(str(reader.root))} is re-read as it changes; nothing more to fetch",
            file=sys.stderr,
        )


def _run_app(path: str, reader: RunStore | None, include_deleted: bool, resync: bool = False) -> int:
    notice = _server_start(reader, resync)
    from .app import make_app

    app = make_app(str(path), store=reader, include_deleted=include_deleted)
    if notice:
        app.run(auto_pilot=notice_on_start(notice))
    else:
        app.run()
    return app.return_code or 0


def _needs_search(path: str) -> bool:
    """A folder that is not one whole store but holds some (found within a second): the app searches it
    whole, with progress shown; a folder holding none fails before the UI as any non-store does."""
    from store.opening.discover import find_stores
    from store.opening.kinds import whole_store_kind

    local = Path(path).expanduser()
    if "://" in path or not local.is_dir() or whole_store_kind(local) or _is_empty_folder(local):
        return False
    found = find_stores(local, budget=1.0)
    return bool(found.specs) or found.cut_short is not None


def _open_many(specs: list[str], include_deleted: bool) -> RunStore:
    """`ls A B ...`: one table of several stores; one store as `_open` opens it."""
    if len(specs) > 1:
        return open_store(specs, include_deleted=include_deleted)
    return _open(_store_path(specs[0] if specs else None), include_deleted)


def _store_path(arg: str | None) -> str:
    """The store the user named (a path or URL), else `$TRACKTUI_STORE`, else the default, unless that
    does not exist and `$MLFLOW_TRACKING_URI` names a store (what `mlflow` itself would log to)."""
    if (
        arg is None
        and not os.environ.get(STORE_ENV)
        and os.environ.get(MLFLOW_URI_ENV)
        and not resolve_root(None).exists()
    ):
        return os.environ[MLFLOW_URI_ENV]
    return arg if arg is not None and "://" in arg else str(resolve_root(arg))


def _server_start(reader: RunStore | None, resync: bool = False) -> str:
    """A tracking server opens from its cache at once (and says how old it is); without a cache, one cheap
    request first, so a wrong URL or password is one line on the terminal instead of an empty app."""
    rest = sys.modules.get("store.remote.rest")  # not imported: no server was opened (requests takes ~0.1 s)
    if rest is None or not isinstance(reader, rest.MlflowServerStore):
        return ""
    reader.cache_first = True
    age = reader.cache_age()
    if age is None:
        reader.check()
        return ""
    what = "every run again (--resync)" if resync else "what changed"
    return f"showing the cached listing of {format_duration(age)} ago; fetching {what}…"


def notice_on_start(text: str) -> Callable[[Pilot[object]], Coroutine[Any, Any, None]]:
    """A notification once the app runs (one posted before `run` is dropped); Textual's public start hook."""

    async def show(pilot: Pilot[object]) -> None:
        pilot.app.notify(text, title="MLflow server", timeout=10, markup=False)

    return show


def _open(path: str, include_deleted: bool = False) -> RunStore:
    """The reader for `path`. A path that does not exist fails with a suggestion (a similar
    name next to it); an existing folder with nothing in it is an empty tracktui store (the
    first run logged there shows up)."""
    local = Path(path).expanduser()
    if "://" not in path and not path.startswith("sqlite:") and not local.exists():
        raise NotAStoreError(_missing_message(local))
    try:
        return open_store(path, include_deleted=include_deleted)
    except NotAStoreError:
        if "://" not in path and _is_empty_folder(local):
            return TrackStore(local)
        raise


def _is_empty_folder(path: Path) -> bool:
    try:
        return path.is_dir() and not any(not name.startswith(".") for name in os.listdir(path))
    except OSError:
        return False


def _missing_message(path: Path) -> str:
    parent = path.parent
    hint = ""
    try:
        names = [e.name for e in os.scandir(parent) if e.is_dir() or e.name.endswith(".db")]
    except OSError:
        names = []
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    if close:
        hint = f"; did you mean {printable(str(parent / close[0]))}?"
    expected = EXPECTED.format(marker=STORE_MARKER)
    return (
        f"{printable(str(path))} does not exist{hint}\n"
        f"Pass an existing store: {expected}. `tracktui demo` writes one to try."
    )


def demo(argv: list[str]) -> int:
    parser = _parser(
        "tracktui demo",
        "Write a demo folder and open the app on its tracktui store: a 4-run polynomial sweep,\n"
        "4 classifiers with curves and images, a failed run and a crashed one. Beside the store\n"
        "it writes runs as DVCLive, Lightning (CSVLogger), the Hugging Face Trainer and trackio\n"
        "write them; `tracktui DIR` opens all of them in one table, with a source column.",
    )
    parser.add_argument(
        "dir",
        nargs="?",
        help="where to write it (default: demo-store in $XDG_CACHE_HOME/tracktui or ~/.cache/tracktui); "
        "an earlier demo there is replaced, any other folder with files in it is left alone",
    )
    parser.add_argument("--no-open", action="store_true", help="write the folder only; do not open the app")
    args = parser.parse_args(argv)
    from .commands.demo import DEMO_STORE, write_demo_folder

    root = write_demo_folder(args.dir)
    if root is None:
        return 2
    if args.no_open:
        return 0
    from .app import make_app

    app = make_app(root / DEMO_STORE)
    app.run()
    return app.return_code or 0


def ls(argv: list[str]) -> int:
    if "numpy" not in sys.modules:
        # OpenBLAS starts a thread a core at numpy's import that spins a while: ~0.1 s of CPU of a listing
        # that never multiplies a matrix. Only here: `tracktui run` passes its environment to the training.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = _parser(
        "tracktui ls",
        "Print the runs of a store.\n\n"
        "To a terminal: a table of what varies (at most 40 params/metrics/tags; metrics are kept first).\n"
        "To a pipe: tab-separated lines, every column the table would show, values whole.",
    )
    parser.add_argument("store", nargs="*", help="one or more stores, or a folder holding some")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per run (JSON lines), every column")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row, every column")
    fmt.add_argument("--tsv", action="store_true", help="tab-separated lines (the default when piped)")
    fmt.add_argument("--table", action="store_true", help="the aligned table, also when piped (for less -S)")
    parser.add_argument("--deleted", action="store_true", help="include deleted runs (status deleted)")
    parser.add_argument("--filter", default="", metavar="EXPR", help="the app's filter language, e.g. 'mse < 5'")
    parser.add_argument("--sort", metavar="KEY[,-KEY]", help="sort by columns; -KEY sorts descending")
    parser.add_argument("--columns", metavar="K,K", help="print only these columns (short names work)")
    parser.add_argument("--limit", type=int, metavar="N", help="print at most N runs (or groups)")
    parser.add_argument(
        "--group",
        metavar="KEY[,KEY]",
        help="one row per group: count and metrics.<key>.mean/std/min/max; "
        "--sort then sorts groups (a metric by its mean), --columns picks metrics",
    )
    parser.add_argument("--resync", action="store_true", help=RESYNC_HELP)
    args = parser.parse_args(_glue_sort(argv))
    reader = _open_many(args.store, args.deleted)
    if args.resync:
        _ask_resync(reader)
    if args.json and not (args.filter or args.sort or args.columns or args.limit is not None or args.group):
        from .commands.json_lines import print_runs_json

        if print_runs_json(reader):  # our store's columns as they are: no pandas
            return 0
    from .commands.ls import ls_command

    return ls_command(reader, args)


def _glue_sort(argv: list[str]) -> list[str]:
    """`--sort -mse` as `--sort=-mse`: argparse would take `-mse` for an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--sort" and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"--sort={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def diff(argv: list[str]) -> int:
    parser = _parser("tracktui diff", "Print what differs between runs.")
    parser.add_argument("store")
    parser.add_argument("runs", nargs="+", help="two or more runs: id, unique id prefix, or unique name")
    parser.add_argument("--only-diff", action="store_true", help="only rows whose values differ")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if len(args.runs) < 2:
        parser.error("give two or more runs")
    from .commands.diff import diff_command

    return diff_command(_open(args.store), args.runs, only_diff=args.only_diff, as_json=args.json)


if __name__ == "__main__":
    raise SystemExit(main())
