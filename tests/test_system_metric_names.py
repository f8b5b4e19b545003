"""Machine metrics of ours, W&B and MLflow read as titles with units (tui/shaping/system_metrics.py)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pytest
from textual.widgets import Static

import store
from store.formats.wandb_run import WandbRun
from store.writing.system_metrics import SystemSampler
from tests.screen_harness import settle_until
from tests.test_charts_screen import ChartsHarness, open_charts, panes
from tui.shaping.curves import ChartRequest, Series
from tui.shaping.history_cache import HistoryCache
from tui.shaping.system_charts import related_metrics, system_chart
from tui.shaping.system_metrics import chart_title, clock_or_step, describe

WANDB_RUN = Path(__file__).parent / "data/foreign/wandb-runs/finished/wandb/offline-run-20261207_085652-h4rl3xd5"


def test_every_key_our_sampler_logs_has_a_title_and_a_unit(tmp_path: Path) -> None:
    run = store.start_run(experiment="e", root=tmp_path, system_metrics_interval=False)
    sampler = SystemSampler(run, interval=60)
    sampler.sample()  # the first sample sets the disk and network baselines
    keys = list(sampler.sample())
    run.finish()
    assert "system/disk_read_mb_s" in keys or "system/net_recv_mb_s" in keys
    for key in keys:
        spec = describe(key)
        assert spec is not None and spec.unit, f"{key} has no unit"
        assert spec.title != key.removeprefix("system/"), f"{key} kept its raw name"


@pytest.mark.parametrize(
    ("key", "label", "group", "series", "scale"),
    [
        ("system/cpu_percent", "CPU %", "CPU %", "machine", 1.0),
        ("system/memory_used_mb", "Memory used (GiB)", "Memory (GiB)", "machine", 1 / 1024),
        ("system/disk_read_mb_s", "Disk read (MB/s)", "Disk (MB/s)", "read", 1.0),
        ("system/disk_write_mb_s", "Disk write (MB/s)", "Disk (MB/s)", "write", 1.0),
        ("system/gpu0/util", "GPU 0 util %", "GPU util %", "GPU 0", 1.0),
        ("system/gpu3/memory_used_mb", "GPU 3 memory (GiB)", "GPU memory (GiB)", "GPU 3", 1 / 1024),
        ("system/gpu1/power_w", "GPU 1 power (W)", "GPU power (W)", "GPU 1", 1.0),
    ],
)
def test_our_names(key: str, label: str, group: str, series: str, scale: float) -> None:
    spec = describe(key)
    assert spec is not None
    assert (spec.label, spec.group, spec.series, spec.scale) == (label, group, series, scale)


def test_the_names_wandb_wrote_in_its_stats_records() -> None:
    pytest.importorskip("wandb.proto.wandb_internal_pb2")
    run = WandbRun(str(WANDB_RUN))
    run.update(with_records=True)
    keys = [k for k in run.series.summaries() if k.startswith("system/")]
    assert "system/proc.memory.rssMB" in keys and "system/disk./.usagePercent" in keys
    for key in keys:
        spec = describe(key)
        assert spec is not None and spec.title != key.removeprefix("system/"), f"{key} kept its raw name"
    rss = describe("system/proc.memory.rssMB")
    assert rss is not None and (rss.label, rss.group, rss.scale) == ("Process memory (GiB)", "Memory (GiB)", 1 / 1024)
    disk = describe("system/disk./.usagePercent")
    assert disk is not None and (disk.label, disk.group, disk.series) == ("Disk / used %", "Disk used %", "/")


@pytest.mark.parametrize(
    ("key", "label", "group", "series"),
    [
        ("system/cpu", "Process CPU %", "CPU %", "process"),
        ("system/gpu.0.gpu", "GPU 0 util %", "GPU util %", "GPU 0"),
        ("system/gpu.1.memoryAllocated", "GPU 1 memory %", "GPU memory %", "GPU 1"),
        ("system/gpu.0.memory", "GPU 0 memory busy %", "GPU memory busy %", "GPU 0"),
        ("system/gpu.0.powerWatts", "GPU 0 power (W)", "GPU power (W)", "GPU 0"),
        ("system/disk.in", "Disk read (MB)", "Disk (MB since start)", "read"),
        ("system/disk.out", "Disk written (MB)", "Disk (MB since start)", "write"),
        ("system/network.sent", "Network sent (MB)", "Network (MB since start)", "sent"),
    ],
)
def test_wandb_names(key: str, label: str, group: str, series: str) -> None:
    spec = describe(key)
    assert spec is not None and (spec.label, spec.group, spec.series) == (label, group, series)


@pytest.mark.parametrize(
    ("key", "label", "group", "scale"),
    [  # as mlflow/system_metrics/metrics/*.py name them
        ("system/cpu_utilization_percentage", "CPU %", "CPU %", 1.0),
        ("system/system_memory_usage_megabytes", "Memory used (GB)", "Memory (GB)", 1e-3),
        ("system/gpu_0_utilization_percentage", "GPU 0 util %", "GPU util %", 1.0),
        ("system/gpu_2_memory_usage_megabytes", "GPU 2 memory (GB)", "GPU memory (GB)", 1e-3),
        ("system/network_receive_megabytes", "Network received (MB)", "Network (MB since start)", 1.0),
        ("system/node_1/cpu_utilization_percentage", "node 1 CPU %", "node 1 CPU %", 1.0),
    ],
)
def test_mlflow_names(key: str, label: str, group: str, scale: float) -> None:
    spec = describe(key)
    assert spec is not None and (spec.label, spec.group, spec.scale) == (label, group, scale)


def test_other_metrics_keep_their_names_and_unknown_system_ones_their_own_chart() -> None:
    assert describe("loss") is None and chart_title("loss") == "loss"
    odd = describe("system/fan_rpm")
    assert odd is not None and (odd.label, odd.group) == ("fan_rpm", "fan_rpm")


def test_machine_metrics_alone_open_on_the_clock() -> None:
    assert clock_or_step(["system/cpu_percent", "system/gpu.0.gpu"]) == "wall"
    assert clock_or_step(["system/cpu_percent", "loss"]) == "step"
    assert clock_or_step([]) == "step"


def request(
    run_ids: tuple[str, ...] = ("a", "b"), metrics: tuple[str, ...] = ("system/disk_read_mb_s",)
) -> ChartRequest:
    return ChartRequest(
        run_ids=list(run_ids),
        metrics=list(metrics),
        axis="wall",
        log_y=False,
        smoothing=0.0,
        buckets=40,
        colors=[(1, 1, 1), (2, 2, 2)],
        faint=[],
    )


def test_a_chart_of_a_machine_metric_has_its_title_and_values_in_its_unit() -> None:
    series = Series(np.array([0.0, 1.0]), np.array([100.0, 110.0]), np.array([2048.0, 4096.0]))
    chart = system_chart(
        "system/memory_used_mb", ["system/memory_used_mb"], [("a", "a")], lambda r, m: series, request(run_ids=("a",))
    )
    assert chart.title == "Memory used (GiB)"
    assert list(chart.curves[0].y) == [2.0, 4.0]
    plain = system_chart("loss", ["loss"], [("a", "a")], lambda r, m: series, request(run_ids=("a",)))
    assert plain.title == "loss" and list(plain.curves[0].y) == [2048.0, 4096.0]


def test_related_machine_metrics_share_a_pane_unless_picked_on_their_own() -> None:
    keys = [
        "loss",
        "system/gpu10/util",
        "system/gpu2/util",
        "system/gpu0/util",
        "system/disk_write_mb_s",
        "system/disk_read_mb_s",
        "system/cpu_percent",
    ]
    assert related_metrics("system/gpu2/util", keys) == ["system/gpu0/util", "system/gpu2/util", "system/gpu10/util"]
    assert related_metrics("system/disk_write_mb_s", keys) == ["system/disk_read_mb_s", "system/disk_write_mb_s"]
    assert related_metrics("loss", keys) == ["loss"]
    cache = HistoryCache(cast(store.RunStore, None))
    cache.keys = {"a": keys}
    series = Series(np.array([0.0]), np.array([100.0]), np.array([1.0]))
    for r, k in [("a", k) for k in keys]:
        cache.series[(r, k)] = series
    both = cache.charts(request(("a",), ("system/disk_read_mb_s", "system/cpu_percent")), {})
    assert [c.label for c in both.charts[0].curves] == ["a · read", "a · write"]
    alone = cache.charts(request(("a",), ("system/disk_read_mb_s", "system/disk_write_mb_s")), {})
    assert [[c.label for c in chart.curves] for chart in alone.charts] == [["a"], ["a"]], "each picked: its own pane"


def test_a_shared_pane_keeps_each_runs_colour_and_tells_the_series_apart_by_marker() -> None:
    def series(run_id: str, metric: str) -> Series:
        value = {"system/disk_read_mb_s": 1.0, "system/disk_write_mb_s": 2.0}[metric] * (10 if run_id == "b" else 1)
        return Series(np.array([0.0, 1.0]), np.array([100.0, 110.0]), np.array([value, value]))

    chart = system_chart(
        "system/disk_read_mb_s",
        ["system/disk_read_mb_s", "system/disk_write_mb_s"],
        [("a", "run-a"), ("b", "run-b")],
        series,
        request(),
    )
    assert chart.title == "Disk (MB/s)"
    assert [(c.run_id, c.label, c.color, c.marker) for c in chart.curves] == [
        ("a", "run-a · read", (1, 1, 1), "braille"),
        ("a", "run-a · write", (1, 1, 1), "dot"),
        ("b", "run-b · read", (2, 2, 2), "braille"),
        ("b", "run-b · write", (2, 2, 2), "dot"),
    ]
    assert [float(c.y[0]) for c in chart.curves] == [1.0, 2.0, 10.0, 20.0]
    assert chart.note == "⣀ read  • write"


async def test_charts_of_machine_metrics_alone_open_on_the_clock_with_readable_titles(tmp_path: Path) -> None:
    ids = []
    for n in range(2):
        run = store.start_run(experiment="sys", name=f"run-{n}", root=tmp_path, system_metrics_interval=False)
        for step in range(6):
            run.log_metrics(
                {"system/disk_read_mb_s": 40.0 + step, "system/memory_used_mb": 2048.0 * (n + 1)}, step=step
            )
            if step:
                run.log_metrics({"system/disk_write_mb_s": 4.0 + step}, step=step)
        run.finish()
        ids.append(run.id)
    app = ChartsHarness(store.open_store(tmp_path), ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        assert screen.axis == "wall", "machine metrics sampled on a timer open against the clock"
        assert list(panes(screen)) == ["system/disk_read_mb_s"]
        pane = panes(screen)["system/disk_read_mb_s"]
        title = str(pane.query_one(".metric-chart--title", Static).render())
        assert title.startswith("Disk (MB/s)") and "⣀ read  • write" in title and "x: wall-clock time" in title
        assert pane.data is not None
        assert [c.label for c in pane.data.curves] == ["run-0 · read", "run-0 · write", "run-1 · read", "run-1 · write"]
        draws = screen.draws
        await pilot.press("x")  # the user's axis wins from now on
        await settle_until(app, pilot, lambda _s: screen.draws > draws)
        assert screen.axis == "step" and screen.axis_chosen
        draws = screen.draws
        screen.redraw()
        await settle_until(app, pilot, lambda _s: screen.draws > draws)
        assert screen.axis == "step"
