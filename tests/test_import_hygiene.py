"""The floors of the house, checked at run time: what each layer may load.

`store` is the logging API inside training scripts and the readers behind every screen: it
must load neither the app nor a terminal library. The plain shaping modules are what tests and
scripts call without an app: they must load neither Textual nor Rich. Every module is found by
walking the packages, so a new module is covered the day it is added. (The import contract in
`pyproject.toml`, checked by `lint-imports` in CI, covers imports inside functions as well.)
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PLAIN_PACKAGES = {
    "store": ("textual", "rich", "tui", "mlflow"),
    "store.formats": ("textual", "rich", "tui", "mlflow", "dvclive", "lightning", "transformers", "trackio"),
    "tui.shaping": ("textual", "rich"),
    "tui.artifacts": ("textual", "rich"),
}


def modules_of(package: str) -> list[str]:
    path = REPO.joinpath(*package.split("."))
    return [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]


@pytest.mark.parametrize("package", sorted(PLAIN_PACKAGES))
def test_plain_modules_load_no_ui(package: str) -> None:
    forbidden = PLAIN_PACKAGES[package]
    modules = modules_of(package)
    assert len(modules) > 3, f"no modules found under {package}"
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"    bad = sorted(m for m in {forbidden!r} if m in sys.modules)\n"
        "    if bad:\n"
        "        sys.exit(f'{name} loaded {bad}')\n"
    )
    run_clean(code)


def test_the_app_loads_without_pandas_or_numpy() -> None:
    """Importing pandas and numpy takes longer than starting Textual: the app, its CLI and the first
    screen's modules load neither (they are imported in a worker after the first paint). A module-level
    `import pandas`, a dtype constant or a `field(default_factory=pd.DataFrame)` brings them back."""
    code = (
        "import sys\n"
        "import tui.app, tui.cli, tui.shaping.first_listing\n"
        "tui.app.make_app('.')\n"
        "bad = sorted(m for m in ('pandas', 'numpy') if m in sys.modules)\n"
        "sys.exit(f'loaded {bad}' if bad else 0)\n"
    )
    run_clean(code)


def test_reading_wandb_runs_loads_neither_the_wandb_sdk_nor_numpy() -> None:
    """The first listing of W&B runs decodes their record logs with the schema `wandb` ships, but
    `import wandb` runs its whole SDK (pydantic, numpy: 0.4 s); the schema is loaded on its own, and
    a later real `import wandb` still works and decodes with the same message classes."""
    code = (
        "import sys\n"
        "from store import open_store\n"
        "from tui.shaping.first_listing import first_listing\n"
        "reader = open_store('tests/data/foreign/wandb-runs/finished/wandb')\n"
        "reader.refresh()\n"
        "listing = first_listing(reader, 0.0)\n"
        "assert listing is not None and listing.row_count == 1 and reader.records()[0]['metrics']\n"
        "bad = sorted(m for m in ('wandb', 'numpy', 'pandas') if m in sys.modules)\n"
        "assert not bad, f'loaded {bad}'\n"
        "import wandb\n"
        "from store.formats.wandb_log import record_schema\n"
        "assert wandb.proto.wandb_internal_pb2.Record is record_schema().Record\n"
        "again = open_store('tests/data/foreign/wandb-runs/finished/wandb')\n"
        "again.refresh()\n"
        "assert again.records()[0]['metrics'] == reader.records()[0]['metrics']\n"
    )
    run_clean(code)


def run_clean(code: str) -> None:
    """Run `code` in a fresh interpreter (nothing imported yet) from the repository; it must exit 0."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
