"""The W&B-style API (`store.init`, `config`, `log`, `summary`, `finish(exit_code=)`) writes our runs."""

from __future__ import annotations

import argparse
import os
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import store
from store.ours import layout
from tests.children import run_python


@pytest.fixture(autouse=True)
def _no_active_run() -> object:
    """Each test starts and ends with no active run, so `store.config` and friends are this test's."""
    yield
    while (run := store.active_run()) is not None:
        run.finish()


def test_init_maps_wandb_arguments_onto_a_run(tmp_path: Path) -> None:
    run = store.init(
        project="mnist",
        name="cnn-1",
        config={"lr": 0.1, "model": {"depth": 3}},
        tags=["base", "v2"],
        notes="first try",
        group="sweep-1",
        job_type="train",
        root=tmp_path,
        entity="ignored-team",
    )
    assert store.run is run and run.experiment == "mnist" and run.name == "cnn-1"
    store.finish()
    row = store.open_store(tmp_path).runs_frame().iloc[0]
    assert row["params.lr"] == 0.1 and row["params.model.depth"] == 3
    assert row["tags.tags"] == "base, v2" and row["tags.group"] == "sweep-1" and row["tags.job_type"] == "train"
    assert store.open_store(tmp_path).run(run.id).facts["note"] == "first try"
    assert store.run is None


def test_init_with_dict_tags_and_dir(tmp_path: Path) -> None:
    run = store.init(project="p", tags={"stage": "baseline"}, dir=tmp_path)
    run.finish()
    assert run.path.is_relative_to(tmp_path / store.DEFAULT_STORE_DIR)
    assert store.open_store(tmp_path / store.DEFAULT_STORE_DIR).runs_frame().iloc[0]["tags.stage"] == "baseline"


def test_init_refuses_unknown_arguments_by_name(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="colour"):
        store.init(project="p", root=tmp_path, colour="red")
    assert store.active_run() is None


def test_second_init_finishes_the_first_run(tmp_path: Path) -> None:
    first = store.init(project="p", root=tmp_path)
    second = store.init(project="p", root=tmp_path)
    assert first.status == "finished" and store.run is second
    second.finish()


def test_config_reads_by_attribute_item_and_nested(tmp_path: Path) -> None:
    store.init(project="p", config=argparse.Namespace(lr=0.1, model={"depth": 3, "act": "relu"}), root=tmp_path)
    config = store.config
    assert config.lr == 0.1 and config["lr"] == 0.1
    assert config.model.depth == 3 and config["model"]["act"] == "relu" and config["model.depth"] == 3
    assert dict(config.model) == {"depth": 3, "act": "relu"} and "lr" in config and len(config) == 2
    assert config.as_dict() == {"lr": 0.1, "model": {"depth": 3, "act": "relu"}}
    with pytest.raises(AttributeError, match=r"'missing'.*it has: lr, model"):
        _ = config.missing


def test_config_writes_are_params_and_a_changed_value_is_refused(tmp_path: Path) -> None:
    run = store.init(project="p", config={"lr": 0.1}, root=tmp_path)
    store.config.update({"batch": 32}, allow_val_change=True)
    store.config.update(argparse.Namespace(optimizer="adam"))
    store.config.seed = 7
    store.config["model"] = {"depth": 2}
    store.config.model.width = 64
    store.config.setdefaults({"lr": 0.5, "epochs": 3})
    with pytest.raises(ValueError, match=r"param 'lr' is already 0\.1"):
        store.config.lr = 0.2
    run.finish()
    assert store.open_store(tmp_path).run(run.id).params == {
        "lr": 0.1,
        "batch": 32,
        "optimizer": "adam",
        "seed": 7,
        "model": {"depth": 2, "width": 64},
        "epochs": 3,
    }


def test_config_and_summary_before_init_say_what_to_do() -> None:
    with pytest.raises(AttributeError, match=r"call store.init"):
        _ = store.config
    with pytest.raises(AttributeError, match=r"call store.init"):
        _ = store.summary
    assert store.run is None


def test_log_flattens_nested_dicts_and_shares_one_step(tmp_path: Path) -> None:
    run = store.init(project="p", root=tmp_path)
    for epoch in range(3):
        for _ in range(2):
            store.log({"train": {"loss": 1.0, "acc": np.float32(0.5)}})
        store.log({"val": {"loss": 2.0}}, commit=False)
        store.log({"epoch": epoch})
    store.log({"test": {"acc": 0.9}}, step=100)
    store.log({"after": 1})
    run.finish()
    hist = store.open_store(tmp_path).run(run.id).history()
    steps = {key: group["step"].tolist() for key, group in hist.groupby("key")}
    assert steps == {
        "train/loss": [0, 1, 3, 4, 6, 7],
        "train/acc": [0, 1, 3, 4, 6, 7],
        "val/loss": [2, 5, 8],
        "epoch": [2, 5, 8],
        "test/acc": [100],
        "after": [101],
    }


def test_log_skips_text_with_one_warning_per_key_naming_the_callers_line(tmp_path: Path) -> None:
    run = store.init(project="p", root=tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(3):
            store.log({"loss": 1.0, "phase": "train", "nested": {"name": "x"}})
            run.log({"phase": "again"}, step=step)
    assert sorted(str(w.message).split("'")[1] for w in caught) == ["nested/name", "phase"]
    assert {Path(w.filename).name for w in caught} == {Path(__file__).name}
    run.finish()
    assert store.open_store(tmp_path).run(run.id).history()["key"].unique().tolist() == ["loss"]


def test_log_images_through_image_and_pil(tmp_path: Path) -> None:
    run = store.init(project="p", root=tmp_path)
    store.log({"samples": store.Image(np.zeros((4, 4), dtype=np.uint8), caption="zeros"), "loss": 1.0})
    store.log({"pil": PILImage.new("RGB", (3, 2))}, step=5)
    run.finish()
    assert (run.path / layout.MEDIA_DIR / layout.media_dirname("samples") / "0.png").is_file()
    assert (run.path / layout.MEDIA_DIR / layout.media_dirname("pil") / "5.png").is_file()


def test_log_refuses_a_bad_key_and_logging_after_finish(tmp_path: Path) -> None:
    run = store.init(project="p", root=tmp_path)
    with pytest.raises(ValueError):
        store.log({"bad\nkey": 1.0})
    run.finish()
    with pytest.raises(store.RunFinishedError):
        run.log({"x": 1.0})


def test_summary_reads_buffered_points_and_keeps_set_values(tmp_path: Path) -> None:
    run = store.init(project="p", root=tmp_path, flush_interval=3600)
    for step, loss in enumerate([3.0, 1.0, 2.0]):
        store.log({"loss": loss}, step=step)
    assert store.summary["loss"] == 2.0
    assert store.summary.stats("loss") == {**store.summary.stats("loss"), "min": 1.0, "max": 3.0, "count": 3}
    run.flush()
    store.log({"loss": 0.5})
    assert store.summary["loss"] == 0.5 and store.summary.stats("loss")["count"] == 4
    store.summary["best_loss"] = np.float64(0.5)
    store.summary.update({"verdict": "good"})
    assert dict(store.summary) == {"loss": 0.5, "best_loss": 0.5, "verdict": "good"}
    assert store.summary.stats("never") is None
    with pytest.raises(KeyError):
        _ = store.summary["never"]
    run.finish()
    row = store.open_store(tmp_path).runs_frame().iloc[0]
    assert row["metrics.best_loss"] == 0.5 and row["tags.summary.verdict"] == "good" and row["metrics.loss"] == 0.5


def test_finish_with_an_exit_code_records_failed(tmp_path: Path) -> None:
    run = store.init(project="p", root=tmp_path)
    store.finish(exit_code=2)
    ok = store.init(project="p", root=tmp_path)
    ok.finish(exit_code=0)
    frame = store.open_store(tmp_path).runs_frame().set_index("run_id")
    assert frame.loc[run.id, "status"] == "failed" and frame.loc[ok.id, "status"] == "finished"
    assert store.open_store(tmp_path).run(run.id).error == "exit code 2"


def test_resume_by_wandb_id_continues_the_step_counter(tmp_path: Path) -> None:
    first = store.init(project="p", root=tmp_path)
    store.log({"loss": 1.0})
    store.log({"loss": 0.9})
    first.finish()
    again = store.init(project="p", id=first.id, resume="must", root=tmp_path)
    assert again.id == first.id
    store.log({"loss": 0.8})
    again.finish()
    assert store.open_store(tmp_path).run(first.id).history()["step"].tolist() == [0, 1, 2]
    with pytest.raises(FileNotFoundError, match="no run"):
        store.init(project="p", id="20200101-000000000-aaaaaaaa", resume="must", root=tmp_path)
    with pytest.warns(UserWarning, match="no run"):
        fresh = store.init(project="p", id="20200101-000000000-aaaaaaaa", resume="allow", root=tmp_path)
    assert fresh.id != "20200101-000000000-aaaaaaaa"


# -- real processes: what a W&B-style script leaves when it ends badly ----------------------


def _script(root: Path, tail: str) -> str:
    return f"""
        import store, sys
        store.init(project="crash", name="child", config={{"lr": 0.01}}, tags=["t"], root={str(root)!r})
        for step in range(50):
            store.log({{"train": {{"loss": 1.0 / (step + 1)}}}})
        {tail}
    """


def test_killed_script_keeps_flushed_points_and_reads_as_crashed(tmp_path: Path) -> None:
    proc = run_python(
        _script(
            tmp_path,
            """store.run.flush()
        print("flushed", flush=True)
        sys.stdin.read()""",
        ),
        wait=False,
        stdin=-1,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"flushed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    s = store.open_store(tmp_path)
    row = s.runs_frame().iloc[0]
    assert row["status"] == "crashed" and row["params.lr"] == 0.01 and row["tags.tags"] == "t"
    assert s.run(row["run_id"]).history()["step"].tolist() == list(range(50))


def test_uncaught_exception_records_failed_with_the_traceback(tmp_path: Path) -> None:
    proc = run_python(_script(tmp_path, "raise RuntimeError('diverged')"))
    assert proc.returncode == 1
    s = store.open_store(tmp_path)
    row = s.runs_frame().iloc[0]
    assert row["status"] == "failed"
    assert "RuntimeError: diverged" in (s.run(row["run_id"]).error or "")
    assert s.run(row["run_id"]).metrics["train/loss"]["count"] == 50


def test_script_without_finish_is_finished_at_exit(tmp_path: Path) -> None:
    proc = run_python(_script(tmp_path, "pass"))
    assert proc.returncode == 0, proc.stderr
    row = store.open_store(tmp_path).runs_frame().iloc[0]
    assert row["status"] == "finished" and row["metrics.train/loss"] == pytest.approx(1 / 50)


def test_sigterm_records_killed_with_every_point(tmp_path: Path) -> None:
    proc = run_python(
        _script(
            tmp_path,
            """print("logged", flush=True)
        sys.stdin.read()""",
        ),
        wait=False,
        stdin=-1,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"logged"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    row = store.open_store(tmp_path).runs_frame().iloc[0]
    assert row["status"] == "killed"
    assert store.open_store(tmp_path).run(row["run_id"]).metrics["train/loss"]["count"] == 50


def test_wandbs_quickstart_runs_as_is_with_import_store_as_wandb(tmp_path: Path) -> None:
    """W&B's own quickstart script, with only its import line changed."""
    proc = run_python(
        """
        import random
        import store as wandb

        wandb.init(project="my-awesome-project", config={"learning_rate": 0.02, "architecture": "CNN",
                                                         "dataset": "CIFAR-100", "epochs": 10})
        epochs = 10
        offset = random.random() / 5
        for epoch in range(2, epochs):
            acc = 1 - 2 ** -epoch - random.random() / epoch - offset
            loss = 2 ** -epoch + random.random() / epoch + offset
            wandb.log({"acc": acc, "loss": loss})
        wandb.finish()
    """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    s = store.open_store(tmp_path / store.DEFAULT_STORE_DIR)
    row = s.runs_frame().iloc[0]
    assert row["experiment"] == "my-awesome-project" and row["status"] == "finished"
    assert row["params.architecture"] == "CNN" and row["params.epochs"] == 10
    assert s.run(row["run_id"]).history(["acc"])["step"].tolist() == list(range(8))
