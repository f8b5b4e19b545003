"""What every integration relies on, checked without any framework installed (store/integrations/run_handle.py)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import store
from store.integrations.run_handle import RunHandle
from tests.children import REPO


def test_importing_store_and_its_integrations_package_loads_no_framework() -> None:
    code = (
        "import sys, store, store.integrations, store.integrations.run_handle\n"
        "print(sorted(m for m in ('torch', 'lightning', 'transformers', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


def test_handle_starts_late_logs_numbers_only_and_resumes_after_close(tmp_path: Path) -> None:
    handle = RunHandle("fw", "one", tmp_path, system_metrics_interval=0)
    assert not handle.started
    handle.log_params({"lr": 0.1, "model": {"depth": 2}})
    handle.log_metrics({"loss": np.float32(0.5), "epoch": 1, "phase": "train", "none": None}, step=3)
    run = handle.run
    handle.close()
    assert run.status == "finished"
    handle.log_metrics({"test/loss": 0.25}, step=3)  # a later test() or evaluate()
    assert handle.run.id == run.id and handle.run.status == "running"
    handle.close()
    assert store.active_run() is None
    s = store.open_store(tmp_path)
    assert len(s.runs_frame()) == 1
    detail = s.run(run.id)
    assert sorted(detail.metrics) == ["epoch", "loss", "test/loss"]
    assert detail.params == {"lr": 0.1, "model": {"depth": 2}}
    assert detail.status == "finished"


def test_a_changed_param_is_skipped_with_one_warning_and_the_rest_logged(tmp_path: Path) -> None:
    handle = RunHandle("fw", root=tmp_path, system_metrics_interval=0)
    handle.log_params({"lr": 0.1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handle.log_params({"lr": 0.2, "batch": 8})
        handle.log_params({"lr": 0.3})
    assert len(caught) == 1 and "'lr'" in str(caught[0].message)
    handle.close()
    assert handle.current is not None and handle.current.status == "finished"
    assert store.open_store(tmp_path).run(handle.current.id).params == {"lr": 0.1, "batch": 8}
    assert store.active_run() is None


def test_close_inside_an_exception_handler_records_the_traceback(tmp_path: Path) -> None:
    handle = RunHandle("fw", root=tmp_path, system_metrics_interval=0)
    handle.log_metrics({"loss": 1.0}, step=0)
    run = handle.run
    try:
        raise RuntimeError("loss went NaN")
    except RuntimeError:
        handle.close(failed=True)
    detail = store.open_store(tmp_path).run(run.id)
    assert detail.status == "failed" and "RuntimeError: loss went NaN" in (detail.error or "")


def test_a_run_passed_in_is_never_finished_by_the_handle(tmp_path: Path) -> None:
    mine = store.start_run("mine", root=tmp_path, system_metrics_interval=0)
    handle = RunHandle("ignored", run=mine)
    handle.log_metrics({"loss": 1.0}, step=0)
    handle.close()
    assert mine.status == "running" and handle.run is mine
    mine.finish()
    with pytest.raises(store.RunFinishedError):
        handle.log_metrics({"loss": 1.0}, step=1)
