"""What the machine was doing: CPU, memory, disk and network I/O, and NVIDIA GPUs, as metrics.

One daemon thread per run wakes every `interval` seconds (default 10), reads counters
through psutil (and NVML through `nvidia-ml-py`, when installed and a GPU is visible) and
logs them under `system/`. Each sample takes about a millisecond and holds no lock the
training loop needs except the run's buffer lock for a few appends, so the loop is not
slowed (see tests/perf/bench_loop.py).

Keys (rates are per second over the last interval):
`system/cpu_percent` (whole machine), `system/process_cpu_percent` and
`system/process_rss_mb` (the measured process and its children), `system/memory_used_mb`,
`system/memory_percent`, `system/disk_read_mb_s`, `system/disk_write_mb_s`,
`system/net_recv_mb_s`, `system/net_sent_mb_s`, and per GPU `system/gpu<i>/util`,
`system/gpu<i>/memory_used_mb`, `system/gpu<i>/memory_percent`, `system/gpu<i>/temp_c`,
`system/gpu<i>/power_w`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.writing.writer import Run

DEFAULT_INTERVAL = 10.0
ENV = "TRACKTUI_SYSTEM_METRICS"
"""`0`, `off` or `false` turns sampling off; a number sets the interval in seconds."""
PREFIX = "system/"
MB = 1024 * 1024


def is_system_metric(key: str) -> bool:
    """A machine metric (`system/...`), or its column in a runs frame (`metrics.system/...`)."""
    return key.startswith((PREFIX, "metrics." + PREFIX))


def sampling_interval(arg: float | bool | None) -> float | None:
    """Seconds between samples, or None for off: the argument, else `$TRACKTUI_SYSTEM_METRICS`, else 10."""
    if arg is not None:
        if arg is False or arg == 0:
            return None
        if arg is True:
            return DEFAULT_INTERVAL
        if not isinstance(arg, (int, float)) or arg < 0 or arg != arg:
            raise ValueError(f"system_metrics_interval must be seconds > 0, or 0/False for off; got {arg!r}")
        return float(arg)
    text = os.environ.get(ENV, "").strip().lower()
    if text in ("0", "off", "false", "no"):
        return None
    try:
        value = float(text) if text else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value > 0 else None


class Gpus:
    """NVIDIA GPUs through NVML; empty when `nvidia-ml-py` is absent or no driver answers."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self.nvml: Any = None
        try:
            import pynvml  # from the optional extra `gpu` (nvidia-ml-py)
        except ImportError:
            return
        try:
            pynvml.nvmlInit()
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        except Exception:  # noqa: BLE001 - NVMLError and friends: no driver, no device; nothing to sample
            self.handles = []
            return
        self.nvml = pynvml

    def sample(self) -> dict[str, float]:
        out: dict[str, float] = {}
        nvml = self.nvml
        for i, handle in enumerate(self.handles):
            key = f"{PREFIX}gpu{i}/"
            for name, read in (
                ("util", lambda h: nvml.nvmlDeviceGetUtilizationRates(h).gpu),
                ("memory_used_mb", lambda h: nvml.nvmlDeviceGetMemoryInfo(h).used / MB),
                ("memory_percent", lambda h: 100.0 * (m := nvml.nvmlDeviceGetMemoryInfo(h)).used / m.total),
                ("temp_c", lambda h: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU)),
                ("power_w", lambda h: nvml.nvmlDeviceGetPowerUsage(h) / 1000.0),
            ):
                try:
                    out[key + name] = float(read(handle))
                except Exception:  # noqa: BLE001 - a counter this GPU does not support
                    continue
        return out

    def close(self) -> None:
        if self.nvml is not None:
            try:
                self.nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001 - NVMLError at shutdown: nothing left to do about it
                pass


WARM_UP = 1.0
"""Seconds after the start before the sampler takes its baseline (at most half the interval)."""


class SystemSampler:
    """Samples the machine into `run` every `interval` seconds until `stop()`.

    `pid` is the process whose CPU and memory (with its children's) count as the run's:
    this process for `start_run`, the wrapped command for `tracktui run`.
    """

    def __init__(self, run: Run, interval: float = DEFAULT_INTERVAL, pid: int | None = None) -> None:
        import psutil

        self.run = run
        self.interval = interval
        self._psutil = psutil
        self._root = psutil.Process(pid or os.getpid())
        self._procs: dict[int, Any] = {}
        self._stop = threading.Event()
        self._paused = False
        self._sampling = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="tracktui-system-metrics", daemon=True)
        self._gpus: Gpus | None = None
        self._last: tuple[float, Any, Any] | None = None

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        # The baseline (a GPU probe, a walk of /proc) waits a moment: a run shorter than that
        # would get no sample anyway, and a sweep of short runs must not pay it for each one.
        warm = min(WARM_UP, self.interval / 2)
        if self._stop.wait(warm):
            return
        self._gpus = Gpus()
        self._psutil.cpu_percent(None)  # the first call only sets the baseline
        self._last = (time.monotonic(), self._disk(), self._net())
        self._process_tree()
        wait = self.interval - warm  # the first sample still comes `interval` after the start
        while not self._stop.wait(wait):
            wait = self.interval
            with self._sampling:
                if self._paused or self._stop.is_set():
                    continue
                try:
                    values = self.sample()
                except Exception as exc:  # noqa: BLE001 - psutil.Error and OS errors: skip this sample, say why once
                    print(f"tracktui: system metrics of run {self.run.id}: {exc}", file=sys.stderr)
                    continue
                try:
                    self.run.log_metrics(values)
                except Exception:  # noqa: BLE001 - the sampling thread stops quietly, whatever failed
                    return  # the run was closed under us
        if self._gpus is not None:
            self._gpus.close()

    def sample(self) -> dict[str, float]:
        psutil = self._psutil
        out: dict[str, float] = {f"{PREFIX}cpu_percent": float(psutil.cpu_percent(None))}
        cpu = rss = 0.0
        for proc in self._process_tree():
            try:
                with proc.oneshot():
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss
            except psutil.Error:
                continue
        out[f"{PREFIX}process_cpu_percent"] = cpu
        out[f"{PREFIX}process_rss_mb"] = rss / MB
        memory = psutil.virtual_memory()
        out[f"{PREFIX}memory_used_mb"] = (memory.total - memory.available) / MB
        out[f"{PREFIX}memory_percent"] = float(memory.percent)
        now, disk, net = time.monotonic(), self._disk(), self._net()
        if self._last is not None:
            then, disk0, net0 = self._last
            dt = max(now - then, 1e-6)
            if disk is not None and disk0 is not None:
                out[f"{PREFIX}disk_read_mb_s"] = max(0, disk.read_bytes - disk0.read_bytes) / MB / dt
                out[f"{PREFIX}disk_write_mb_s"] = max(0, disk.write_bytes - disk0.write_bytes) / MB / dt
            if net is not None and net0 is not None:
                out[f"{PREFIX}net_recv_mb_s"] = max(0, net.bytes_recv - net0.bytes_recv) / MB / dt
                out[f"{PREFIX}net_sent_mb_s"] = max(0, net.bytes_sent - net0.bytes_sent) / MB / dt
        self._last = (now, disk, net)
        if self._gpus is not None:
            out.update(self._gpus.sample())
        return out

    def _process_tree(self) -> list[Any]:
        """The measured process and its descendants, as the same Process objects each time
        (cpu_percent of a process is measured between two calls on one object)."""
        psutil = self._psutil
        try:
            current = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            current = []
        procs: dict[int, Any] = {}
        for proc in current:
            known = self._procs.get(proc.pid)
            procs[proc.pid] = known if known is not None and known == proc else proc
            if known is None:
                try:
                    proc.cpu_percent(None)
                except psutil.Error:
                    pass
        self._procs = procs
        return list(procs.values())

    def _disk(self) -> Any:
        try:
            return self._psutil.disk_io_counters()
        except (OSError, RuntimeError):
            return None

    def _net(self) -> Any:
        try:
            return self._psutil.net_io_counters()
        except (OSError, RuntimeError):
            return None

    def pause(self) -> None:
        """No samples until `resume()`; returns after a sample in progress was logged."""
        with self._sampling:
            self._paused = True

    def resume(self) -> None:
        self._paused = False

    def stop(self) -> None:
        self._stop.set()
        with self._sampling:
            self._paused = True
        self._thread.join(timeout=5.0)


def start_system_metrics(run: Run, interval: float | bool | None, pid: int | None = None) -> SystemSampler | None:
    """Start sampling into `run` (stopped when it finishes); None when off or psutil is missing."""
    seconds = sampling_interval(interval)
    if seconds is None:
        return None
    try:
        sampler = SystemSampler(run, seconds, pid)
    except ImportError:
        print("tracktui: system metrics need psutil (pip install psutil); not sampling", file=sys.stderr)
        return None
    except Exception as exc:  # noqa: BLE001 - psutil.NoSuchProcess: the process is already gone
        print(f"tracktui: system metrics of run {run.id}: {exc}", file=sys.stderr)
        return None
    sampler.start()
    run.on_finish.append(sampler.stop)
    return sampler
