"""A small store's first rows are laid out without pandas (`tui.shaping.first_listing`), then replaced by
the frame's view in place: the two must show the same rows, in the same order, under the same columns,
with the same texts, or the table jumps when the frame lands.

Checked on stores the real tools wrote (tests/data/foreign, see its README), several in one table,
and on runs that differ in what they logged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import store
from store import RunStore, open_store
from tests.mlflow_fixtures import unpack, unpack_datasets
from tui.shaping.first_listing import FIRST_LISTING_MAX, FirstListing, first_listing
from tui.shaping.runs_view import RunsView
from tui.shaping.view_settings import ViewSettings

DATA = Path(__file__).parent / "data" / "foreign"
NOW = 1_800_000_000.0


def wandb_runs(tmp_path: Path) -> Path:
    """Every W&B offline run of the fixtures in one `wandb/` folder (finished, crashed, media, console...)."""
    folder = tmp_path / "wandb"
    for run in sorted(DATA.glob("wandb-runs/*/wandb/offline-run-*")):
        shutil.copytree(run, folder / run.name)
    return folder


def assert_same_table(listing: FirstListing, reader: RunStore) -> None:
    view = RunsView.from_settings(ViewSettings(), reader.runs_frame(), NOW)
    assert [(c.key, c.label, c.width, c.numeric, c.kind) for c in listing.columns] == [
        (c.key, c.label, c.width, c.numeric, c.kind) for c in view.columns
    ]
    assert listing.row_count == view.row_count
    for row in range(view.row_count):
        assert listing.run_id_at(row) == view.run_id_at(row)
        assert listing.status_at(row) == view.status_at(row)
        first, full = listing.cells(row), view.cells(row)
        duration = [i for i, c in enumerate(view.columns) if c.key == "duration"]
        if view.status_at(row) == "running":  # a running run's duration is counted up to when each was made
            first, full = (
                [t for i, t in enumerate(first) if i not in duration],
                [t for i, t in enumerate(full) if i not in duration],
            )
        assert first == full


@pytest.mark.parametrize("kind", ["wandb", "dvclive", "lightning", "hf", "tensorboard", "trackio"])
def test_first_rows_are_the_frames_rows(kind: str, tmp_path: Path) -> None:
    path = wandb_runs(tmp_path) if kind == "wandb" else DATA / kind
    reader = open_store(path)
    reader.refresh()
    listing = first_listing(reader, NOW)
    assert listing is not None
    assert listing.row_count == len(reader.run_ids()) > 0
    assert_same_table(listing, reader)


@pytest.mark.parametrize("which", ["filestore", "datasets"])
def test_mlflow_file_stores(which: str, tmp_path: Path) -> None:
    """MLflow's own stores (tests/fixtures): string params, nested runs' stores too (those get none)."""
    path = unpack(tmp_path) / "filestore" if which == "filestore" else unpack_datasets(tmp_path)[0]
    reader = open_store(path)
    reader.refresh()
    listing = first_listing(reader, NOW)
    nested = any(r.get("parent") or (r.get("system_tags") or {}).get("mlflow.parentRunId") for r in reader.records())
    assert (listing is None) == nested
    if listing is not None:
        assert listing.row_count == len(reader.run_ids()) > 0
        assert_same_table(listing, reader)


def test_several_stores_in_one_table(tmp_path: Path) -> None:
    reader = open_store([str(wandb_runs(tmp_path)), str(DATA / "lightning")])
    reader.refresh()
    listing = first_listing(reader, NOW)
    assert listing is not None and "source" in [c.key for c in listing.columns]
    assert_same_table(listing, reader)


def test_runs_that_logged_different_things(tmp_path: Path) -> None:
    """Params of several types, metrics only some runs have, a constant param (hidden), a flag, a list."""
    root = tmp_path / "ours"
    values = [1, 2.5, "x", True, None, [1, 2], 1e-7, 12345678901]
    for i, value in enumerate(values):
        with store.start_run(experiment=f"e{i % 2}", root=str(root), name=f"r{i}") as run:
            run.log_params({"same": 3, "mixed": value, f"only_{i % 3}": i, "lr": 0.1 * (i + 1)})
            run.log_metric("loss", 1 / (i + 1))
            if i % 2:
                run.log_metric("acc", float("nan") if i == 3 else i / 10)
            run.set_tags({"who": "me" if i % 3 else "you"})
    reader = open_store(root)
    reader.refresh()
    assert first_listing(reader, NOW) is None  # ours keeps its listing as columns: the frame paints first
    records = reader.records()

    class Plain(type(reader)):  # type: ignore[misc]
        """The same runs through the records-to-frame path every foreign kind takes."""

        _build_frame = RunStore._build_frame

    plain = Plain(root)
    plain.refresh()
    assert len(plain.records()) == len(records) == len(values)
    listing = first_listing(plain, NOW)
    assert listing is not None
    keys = [c.key for c in listing.columns]
    assert "params.same" not in keys and "params.mixed" in keys and "metrics.acc" in keys
    assert_same_table(listing, plain)


def test_no_first_listing_for_many_runs_or_nested_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = open_store(wandb_runs(tmp_path))
    reader.refresh()
    assert first_listing(reader, NOW) is not None
    monkeypatch.setattr("tui.shaping.first_listing.FIRST_LISTING_MAX", len(reader.run_ids()) - 1)
    assert first_listing(reader, NOW) is None
    monkeypatch.undo()
    monkeypatch.setattr("tui.shaping.first_listing.FIRST_LISTING_CELLS", 10)  # as if each run had 10,000 params
    assert first_listing(reader, NOW) is None
    assert FIRST_LISTING_MAX >= 12
