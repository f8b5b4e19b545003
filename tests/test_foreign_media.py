"""W&B and TensorBoard images per step, and W&B summary values as one-point metrics, on runs the real tools wrote
(tests/data/foreign, see its README), checked against what the tools' own schemas and loaders read."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("wandb", reason="the [wandb] extra is not installed")
pytest.importorskip("tensorboard", reason="the [tensorboard] extra is not installed")

import store
from store.base import media_bytes
from tests.foreign_children import copy_data
from tests.mlflow_fixtures import tree_snapshot

STEPS = [0, 5, 10, 15, 20]
"""The steps both generators logged images at (tests/data/foreign/gen_wandb_runs.py, gen_tensorboard.py)."""
OLD = 1_700_000_000.0
HISTOGRAM_TEXT = ("histogram", "bins", "packedBins", "values", "sha256", "image-file")


def _wandb(name: str, tmp_path: Path) -> Path:
    return copy_data(f"wandb-runs/{name}", tmp_path, OLD)


def _history_images(root: Path) -> dict[int, tuple[str, str]]:
    """step -> (path, caption) of the `samples` images, from the record log decoded with wandb's own schema."""
    import importlib

    from store.formats.wandb_log import RecordLog
    from store.formats.wandb_run import WANDB_MODULE

    wandb_internal_pb2: Any = importlib.import_module(WANDB_MODULE)  # wandb's own schema (untyped)

    (log,) = root.glob("wandb/*/run-*.wandb")
    found = {}
    for payload in RecordLog(str(log)).read_new():
        record = wandb_internal_pb2.Record.FromString(payload)
        if record.WhichOneof("record_type") != "history":
            continue
        row = {tuple(item.nested_key) or (item.key,): json.loads(item.value_json) for item in record.history.item}
        if ("samples", "path") in row:
            found[row[("_step",)]] = (row[("samples", "path")], row[("samples", "caption")])
    return found


def test_wandb_images_are_listed_at_the_steps_logged_with_their_captions(tmp_path: Path) -> None:
    """Old code: no images for a W&B run. The file names say steps 0, 0, 5, 10, 15 (W&B names a file by
    the step before it): the steps and captions are the history records'."""
    root = _wandb("media", tmp_path)
    reader = store.open_store(root)
    (run_id,) = reader.run_ids()
    media = reader.run(run_id).media()
    assert list(media) == ["samples"]
    entries = media["samples"]
    assert [step for step, _ in entries] == STEPS
    expected = _history_images(root)
    (folder,) = root.glob("wandb/*")
    assert [(step, path) for step, path in entries] == [(s, folder / "files" / expected[s][0]) for s in STEPS]
    assert [getattr(entry, "caption", None) for entry in entries] == [f"epoch {i}" for i in range(5)]
    assert all(path.is_file() for _, path in entries)


def test_a_wandb_image_path_that_leaves_the_run_folder_is_refused(tmp_path: Path) -> None:
    """Old code listed no W&B images at all; a reader that joined the record's `path` onto `files/` would
    show `/etc/passwd`, `../../outside.png` and what a symlink points at outside the run."""
    from PIL import Image

    root = _wandb("hostile", tmp_path)
    (folder,) = root.glob("wandb/*")
    images = folder / "files" / "media" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (3, 2)).save(images / "ok.png")
    Image.new("RGB", (3, 2)).save(tmp_path / "outside.png")
    (images / "link.png").symlink_to(tmp_path / "outside.png")
    reader = store.open_store(root)
    (run_id,) = reader.run_ids()
    media = reader.run(run_id).media()
    assert {step: path for step, path in media["samples"]} == {3: images / "ok.png"}
    assert set(_history_images(root)) == {0, 1, 2, 3}  # the writer did log all four


def test_wandb_summary_only_values_are_one_point_metrics_and_histograms_never_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Old code: `best_val_acc` and `test/acc` (in the summary, never in a history row) were no metric at all,
    and the histogram's bins and values showed in the detail's summary."""
    from tui.cli import main

    root = _wandb("media", tmp_path)
    reader = store.open_store(root)
    (rec,) = reader.records()
    for key, value in (("best_val_acc", 0.93), ("test/acc", 0.875)):
        assert rec["metrics"][key]["last"] == value and rec["metrics"][key]["count"] == 1
    frame = reader.runs_frame()
    assert frame.loc[0, "metrics.best_val_acc"] == 0.93 and frame.loc[0, "metrics.test/acc"] == 0.875
    history = reader.history(rec["run_id"], ["best_val_acc"])
    assert list(history["value"]) == [0.93] and list(history["step"]) == [STEPS[-1]]
    assert any(key.startswith("system/") for key in rec["metrics"])
    detail = reader.run(rec["run_id"])
    shown = json.dumps([rec["metrics"], rec["params"], detail.facts.get("summary"), detail.params], default=str)
    assert not [word for word in HISTOGRAM_TEXT if word in shown], shown
    assert "weights" not in shown  # the histogram's key: it has no number to show

    assert main(["ls", str(root), "--columns", "best_val_acc,test/acc"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["metrics.best_val_acc", "metrics.test/acc"]
    assert lines[1].split("\t") == ["0.93", "0.875"]
    for expr, names in (("best_val_acc > 0.9", ["media"]), ("test/acc < 0.5", [])):
        assert main(["ls", str(root), "--filter", expr, "--columns", "name"]) == 0
        assert capsys.readouterr().out.splitlines()[1:] == names, expr


def test_summary_only_values_are_diff_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Old code: the diff of two W&B runs had no `best_val_acc` or `test/acc` row."""
    from tui.cli import main

    both = tmp_path / "both" / "wandb"
    both.mkdir(parents=True)
    for name in ("media", "finished"):
        (folder,) = _wandb(name, tmp_path).glob("wandb/*")
        folder.rename(both / folder.name)
    assert main(["diff", str(both.parent), "media", "finished", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    text = json.dumps(rows)
    assert "best_val_acc" in text and "test/acc" in text and "0.875" in text
    assert not [word for word in HISTOGRAM_TEXT if word in text and word != "values"]  # a key of the JSON itself


def test_histogram_internals_in_a_summary_file_are_never_metrics_or_text(tmp_path: Path) -> None:
    """A synced run without its log lists its `wandb-summary.json`. Old code: a histogram's `packedBins`
    (`min`, `size`, `count`: numbers) became three metric columns and its values showed in the summary."""
    root = _wandb("synced", tmp_path)
    (summary,) = root.glob("wandb/*/files/wandb-summary.json")
    data = json.loads(summary.read_text())
    data["weights"] = {"_type": "histogram", "values": [1, 2, 3], "packedBins": {"min": 0.0, "size": 0.5, "count": 3}}
    data["val"] = {
        "samples": {"_type": "image-file", "path": "media/images/s.png", "width": 6, "height": 4},
        "acc": 0.5,
    }
    summary.write_text(json.dumps(data))
    reader = store.open_store(root)
    (rec,) = reader.records()
    assert "val.acc" in rec["metrics"] and rec["metrics"]["loss"]["last"] == 0.2
    detail = reader.run(rec["run_id"])
    shown = json.dumps([sorted(rec["metrics"]), rec["params"], detail.facts.get("summary")], default=str)
    assert not [word for word in (*HISTOGRAM_TEXT, "weights", "width") if word in shown], shown


# -- TensorBoard ---------------------------------------------------------------------------------------------------


def _accumulated(run: Path) -> dict[int, bytes]:
    """step -> encoded image of `samples`, as TensorBoard's own EventAccumulator reads the run."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run), size_guidance={"images": 0, "tensors": 0})
    acc.Reload()
    if "samples" in acc.Tags()["images"]:  # PyTorch's legacy Summary.Image
        return {event.step: event.encoded_image_string for event in acc.Images("samples")}
    return {event.step: event.tensor_proto.string_val[2] for event in acc.Tensors("samples")}  # TF2's [w, h, png]


def test_tensorboard_images_are_listed_per_step_from_a_cache_outside_the_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old code: no images for a TensorBoard run. Each image equals what TensorBoard's loader reads, and the
    PNGs are written under XDG_CACHE_HOME, never into the log folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = copy_data("tensorboard/images", tmp_path, OLD)
    before = tree_snapshot(root)
    reader = store.open_store(root)
    assert sorted(reader.run_ids()) == ["pytorch", "tf2"]
    for run_id in ("pytorch", "tf2"):
        media = reader.run(run_id).media()
        assert list(media) == ["samples"], run_id
        assert [step for step, _ in media["samples"]] == STEPS, run_id
        assert not any(path.exists() for _, path in media["samples"])  # listed, not taken out yet
        expected = _accumulated(root / run_id)
        assert {entry[0]: media_bytes(entry, 1 << 20) for entry in media["samples"]} == expected, run_id
        assert all(
            path.is_relative_to(tmp_path / "cache") and path.read_bytes() == expected[step]
            for step, path in media["samples"]
        )
        again = reader.run(run_id).media()["samples"]  # from the cache the second time: the same files
        assert again == media["samples"] and [media_bytes(entry, 1 << 20) for entry in again] == list(expected.values())
    assert tree_snapshot(root) == before
    assert reader.records()[0]["metrics"]["loss"]["count"] == len(STEPS)


def test_a_damaged_image_record_loses_that_step_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An event file changed after it was listed (a record's bytes flipped): that step's image is an error
    (the view says "cannot decode"), the others are read."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = copy_data("tensorboard/images", tmp_path, OLD)
    reader = store.open_store(root)
    detail = reader.run("pytorch")
    (events,) = (root / "pytorch").glob("events.*")
    data = bytearray(events.read_bytes())
    at = data.rfind(b"IHDR")  # inside the last image: step 20
    data[at] ^= 0xFF
    events.write_bytes(bytes(data))
    os.utime(events, (OLD, OLD))
    *good, damaged = detail.media()["samples"]
    assert [media_bytes(entry, 1 << 20)[:4] for entry in good] == [b"\x89PNG"] * 4
    with pytest.raises(ValueError, match="damaged"):
        media_bytes(damaged, 1 << 20)


# -- the images view ------------------------------------------------------------------------------------------------


async def test_the_images_view_of_a_wandb_run_at_80x24_scrubs_with_the_arrows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old code: `i` on a W&B run said "No images". Keys in one burst: the step shown and its caption change."""
    from tests.app_helpers import demo_app, screen_text, settle
    from tui.screens.media import MediaScreen
    from tui.widgets.media_pane import MediaPane

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = demo_app(_wandb("media", tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MediaScreen)
        (pane,) = screen.query(MediaPane)
        assert screen.step == 20 and pane.shown_step == 20
        assert "step 20 · epoch 4" in screen_text(app)
        await pilot.press("left", "left", "left", "right", "left")
        await settle(pilot)
        assert screen.step == 5 and pane.shown_step == 5
        text = screen_text(app)
        assert "step 5 · epoch 1" in text and "2 of 5" in text
        assert "▀" in text or "▄" in text  # the image is drawn


async def test_two_tensorboard_runs_side_by_side_move_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Old code: no images. The scrubber is linked: one key moves both runs (a TF2 and a PyTorch writer)."""
    from tests.app_helpers import demo_app, screen_text, settle
    from tui.screens.media import MediaScreen
    from tui.widgets.media_pane import MediaPane

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    app = demo_app(copy_data("tensorboard/images", tmp_path, OLD))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("space", "down", "space", "i")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MediaScreen)
        await pilot.press("home", "right", "right")
        await settle(pilot)
        panes = list(screen.query(MediaPane))
        assert len(panes) == 2 and [pane.shown_step for pane in panes] == [10, 10]
        assert screen_text(app).count("step 10") == 3  # both captions and the scrubber


def test_mlflow_metrics_logged_once_are_columns_filter_fields_and_ls_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real MLflow store's `mse` (logged at one step only): a column, a filter field and an `ls --columns`
    column, as the W&B summary's one-point metrics are (this already held; kept so it stays so)."""
    from tests.mlflow_fixtures import expected_runs, unpack
    from tui.cli import main

    root = unpack(tmp_path) / "filestore" / "mlruns"
    records = {rec["name"]: rec for rec in store.open_store(root).records()}
    mse = {
        name: run["metrics"]["mse"]
        for name, run in expected_runs("filestore").items()
        if "mse" in (run.get("metrics") or {})
    }
    # one step (MLflow 3 writes the line twice: for the run and for its logged model)
    assert {
        name: (records[name]["metrics"]["mse"]["last"], records[name]["metrics"]["mse"]["last_step"]) for name in mse
    } == {name: (value, 0) for name, value in mse.items()}
    assert main(["ls", str(root), "--filter", "mse < 1", "--columns", "name,mse"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]]
    assert sorted(rows) == sorted([name, repr(value)] for name, value in mse.items() if value < 1)
