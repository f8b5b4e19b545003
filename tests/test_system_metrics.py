"""System metrics: sampled by real processes into `system/` metrics; GPUs only through NVML."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import pytest

import store
from store.writing.system_metrics import Gpus, SystemSampler, sampling_interval
from tests.children import run_python
from tests.test_run_command import only_run, python, wrapper


def test_interval_comes_from_the_argument_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKTUI_SYSTEM_METRICS", raising=False)
    assert sampling_interval(None) == 10.0
    assert sampling_interval(2.5) == 2.5 and sampling_interval(0) is None and sampling_interval(False) is None
    monkeypatch.setenv("TRACKTUI_SYSTEM_METRICS", "0")
    assert sampling_interval(None) is None
    monkeypatch.setenv("TRACKTUI_SYSTEM_METRICS", "off")
    assert sampling_interval(None) is None
    monkeypatch.setenv("TRACKTUI_SYSTEM_METRICS", "3")
    assert sampling_interval(None) == 3.0 and sampling_interval(1) == 1.0
    with pytest.raises(ValueError, match="system_metrics_interval"):
        sampling_interval(-1)


KEYS = (
    "cpu_percent",
    "process_cpu_percent",
    "process_rss_mb",
    "memory_used_mb",
    "memory_percent",
    "disk_read_mb_s",
    "disk_write_mb_s",
    "net_recv_mb_s",
    "net_sent_mb_s",
)


def test_a_real_process_samples_cpu_memory_and_io(tmp_path: Path) -> None:
    """Runs about 1 s: it needs several samples at 0.2 s apart."""
    child = run_python(f"""
        import time, store
        with store.start_run(root={str(tmp_path / "s")!r}, system_metrics_interval=0.2) as run:
            ballast = bytearray(150 * 1024 * 1024)
            ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page so it is resident
            # Busy until every system metric has two points on disk (load-independent; 60 s cap).
            files = [run.path / "metrics" / f"system%2F{{k}}.f64" for k in {KEYS!r}]
            end = time.time() + 60
            while time.time() < end:
                sum(range(10000))
                run.flush()
                if all(f.exists() and f.stat().st_size >= 48 for f in files):
                    break
    """)
    assert child.returncode == 0, child.stderr.read()  # type: ignore[union-attr]
    detail = only_run(tmp_path / "s")
    hist = detail.history()
    for key in KEYS:
        assert (hist.key == f"system/{key}").sum() >= 2, key
    assert detail.metrics["system/process_rss_mb"]["max"] > 150
    assert detail.metrics["system/process_cpu_percent"]["max"] > 1  # the busy loop shows (a loaded box gives it little)
    assert not any(k.startswith("system/gpu") for k in detail.metrics)  # no GPU library here


def test_the_wrapper_measures_the_commands_processes(tmp_path: Path) -> None:
    """Runs about 2 s: the command must live through several samples."""
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import time
        ballast = bytearray(200 * 1024 * 1024)
        ballast[::4096] = b"x" * len(ballast[::4096])
        time.sleep(1.5)
    """),
        env={"TRACKTUI_SYSTEM_METRICS": "0.2"},
    )
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    metrics = only_run(tmp_path / "s").metrics
    assert metrics["system/process_rss_mb"]["count"] >= 2
    assert metrics["system/process_rss_mb"]["max"] > 200  # the command's memory, not the wrapper's


def test_off_starts_no_sampler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKTUI_SYSTEM_METRICS", "0")
    with store.start_run(root=tmp_path / "s") as run:
        assert "tracktui-system-metrics" not in {t.name for t in threading.enumerate()}
        assert not run.on_finish
    monkeypatch.delenv("TRACKTUI_SYSTEM_METRICS")
    with store.start_run(root=tmp_path / "s", system_metrics_interval=30) as run:
        assert "tracktui-system-metrics" in {t.name for t in threading.enumerate()}
    assert "tracktui-system-metrics" not in {t.name for t in threading.enumerate()}  # stopped at finish


def test_without_the_gpu_library_there_are_no_gpu_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    gpus = Gpus()
    assert gpus.handles == [] and gpus.sample() == {}
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        sampler = SystemSampler(run, 1.0)
        sampler._gpus = Gpus()
        values = sampler.sample()
    assert "system/cpu_percent" in values and not any("gpu" in k for k in values)


def test_gpus_are_read_through_nvml_when_it_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    memory = types.SimpleNamespace(used=2 * 1024**3, total=8 * 1024**3)
    fake = types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=40 + h),
        nvmlDeviceGetMemoryInfo=lambda h: memory,
        nvmlDeviceGetTemperature=lambda h, sensor: 70,
        NVML_TEMPERATURE_GPU=0,
        nvmlDeviceGetPowerUsage=lambda h: (_ for _ in ()).throw(RuntimeError("not supported")),
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    values = Gpus().sample()
    assert values["system/gpu0/util"] == 40 and values["system/gpu1/util"] == 41
    assert values["system/gpu0/memory_used_mb"] == 2048 and values["system/gpu1/memory_percent"] == 25
    assert values["system/gpu0/temp_c"] == 70
    assert "system/gpu0/power_w" not in values  # unsupported counters are skipped, not fatal
