"""Machine metrics (`system/…`) as people read them: a title, a unit, the chart they belong in.

Three writers name the same things three ways: our sampler (store/writing/system_metrics.py:
`system/gpu0/util`, `system/memory_used_mb`), W&B's stats records (read as
`system/gpu.0.gpu`, `system/proc.memory.rssMB`, `system/disk.in`) and MLflow's system
metrics (`system/gpu_0_utilization_percentage`, `system/system_memory_usage_megabytes`,
`system/node_1/…` on a multi-node run). `describe` maps any of them to one `SystemMetric`:
the values times `scale` are in `unit` (MB of memory become GiB), and `group` with
`series` say which chart a metric joins (every GPU's utilisation; disk read and write).

Plain module (no Textual, no Rich): the charts' worker uses it for titles and units, and
to draw machine metrics against the clock (their steps count samples, not training).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from store.writing.system_metrics import PREFIX, is_system_metric

MIB = 1 / 1024
"""MB (MiB, as our sampler and W&B count them) to GiB."""
BYTES_TO_MB = 1 / (1024 * 1024)


@dataclass(frozen=True)
class SystemMetric:
    title: str
    """`GPU 0 util`, `Memory used`: what the metric is, without its unit."""
    unit: str
    """What the values times `scale` are in: `%`, `GiB`, `MB/s`, `°C`, `W`; "" for a count."""
    group: str
    """The chart this metric is drawn in with its relatives: `GPU util %`, `Disk MB/s`."""
    series: str
    """Its line's name inside the group's chart: `GPU 0`, `read`."""
    scale: float = 1.0

    @property
    def label(self) -> str:
        """The title with its unit: `Memory used (GiB)`, `CPU %`."""
        if not self.unit:
            return self.title
        return f"{self.title} {self.unit}" if self.unit == "%" else f"{self.title} ({self.unit})"


# (pattern on the name after `system/`, title, unit, group, series, scale); `{0}` is the pattern's
# first group (a GPU index, a disk path), `{1}` its second. The first match wins.
_RULES: tuple[tuple[str, str, str, str, str, float], ...] = (
    # ours
    (r"cpu_percent", "CPU", "%", "CPU %", "machine", 1.0),
    (r"process_cpu_percent", "Process CPU", "%", "CPU %", "process", 1.0),
    (r"process_rss_mb", "Process memory", "GiB", "Memory (GiB)", "process", MIB),
    (r"memory_used_mb", "Memory used", "GiB", "Memory (GiB)", "machine", MIB),
    (r"memory_percent", "Memory", "%", "Memory %", "machine", 1.0),
    (r"disk_read_mb_s", "Disk read", "MB/s", "Disk (MB/s)", "read", 1.0),
    (r"disk_write_mb_s", "Disk write", "MB/s", "Disk (MB/s)", "write", 1.0),
    (r"net_recv_mb_s", "Network received", "MB/s", "Network (MB/s)", "received", 1.0),
    (r"net_sent_mb_s", "Network sent", "MB/s", "Network (MB/s)", "sent", 1.0),
    (r"gpu(\d+)/util", "GPU {0} util", "%", "GPU util %", "GPU {0}", 1.0),
    (r"gpu(\d+)/memory_used_mb", "GPU {0} memory", "GiB", "GPU memory (GiB)", "GPU {0}", MIB),
    (r"gpu(\d+)/memory_percent", "GPU {0} memory", "%", "GPU memory %", "GPU {0}", 1.0),
    (r"gpu(\d+)/temp_c", "GPU {0} temperature", "°C", "GPU temperature (°C)", "GPU {0}", 1.0),
    (r"gpu(\d+)/power_w", "GPU {0} power", "W", "GPU power (W)", "GPU {0}", 1.0),
    # W&B (wandb-core's system monitor; see its "System metrics" reference)
    (r"cpu", "Process CPU", "%", "CPU %", "process", 1.0),
    (r"cpu\.(\d+)\.cpu_percent", "CPU core {0}", "%", "CPU cores %", "core {0}", 1.0),
    (r"proc\.cpu\.threads", "Process threads", "", "Process threads", "process", 1.0),
    (r"proc\.memory\.rssMB", "Process memory", "GiB", "Memory (GiB)", "process", MIB),
    (r"proc\.memory\.availableMB", "Memory available", "GiB", "Memory (GiB)", "available", MIB),
    (r"proc\.memory\.percent", "Process memory", "%", "Memory %", "process", 1.0),
    (r"disk\.in", "Disk read", "MB", "Disk (MB since start)", "read", 1.0),
    (r"disk\.out", "Disk written", "MB", "Disk (MB since start)", "write", 1.0),
    (r"disk\.(.+)\.usagePercent", "Disk {0} used", "%", "Disk used %", "{0}", 1.0),
    (r"disk\.(.+)\.usageGB", "Disk {0} used", "GB", "Disk used (GB)", "{0}", 1.0),
    (r"disk\.(.+)\.in", "Disk {0} read", "MB", "Disk (MB since start)", "{0} read", 1.0),
    (r"disk\.(.+)\.out", "Disk {0} written", "MB", "Disk (MB since start)", "{0} write", 1.0),
    (r"network\.recv", "Network received", "MB", "Network (MB since start)", "received", BYTES_TO_MB),
    (r"network\.sent", "Network sent", "MB", "Network (MB since start)", "sent", BYTES_TO_MB),
    (r"network\.tcpRetransmits", "TCP retransmits", "", "TCP retransmits", "machine", 1.0),
    (r"gpu\.(\d+)\.gpu", "GPU {0} util", "%", "GPU util %", "GPU {0}", 1.0),
    (r"gpu\.(\d+)\.memoryAllocated", "GPU {0} memory", "%", "GPU memory %", "GPU {0}", 1.0),
    (r"gpu\.(\d+)\.memoryAllocatedBytes", "GPU {0} memory", "GiB", "GPU memory (GiB)", "GPU {0}", BYTES_TO_MB * MIB),
    (r"gpu\.(\d+)\.memory", "GPU {0} memory busy", "%", "GPU memory busy %", "GPU {0}", 1.0),
    (r"gpu\.(\d+)\.temp", "GPU {0} temperature", "°C", "GPU temperature (°C)", "GPU {0}", 1.0),
    (r"gpu\.(\d+)\.powerWatts", "GPU {0} power", "W", "GPU power (W)", "GPU {0}", 1.0),
    (r"gpu\.(\d+)\.powerPercent", "GPU {0} power", "%", "GPU power %", "GPU {0}", 1.0),
    # MLflow (mlflow/system_metrics/metrics/*.py; its MB are 10^6 bytes)
    (r"cpu_utilization_percentage", "CPU", "%", "CPU %", "machine", 1.0),
    (r"system_memory_usage_megabytes", "Memory used", "GB", "Memory (GB)", "machine", 1e-3),
    (r"system_memory_usage_percentage", "Memory", "%", "Memory %", "machine", 1.0),
    (r"disk_usage_megabytes", "Disk used", "GB", "Disk used (GB)", "used", 1e-3),
    (r"disk_available_megabytes", "Disk free", "GB", "Disk used (GB)", "free", 1e-3),
    (r"disk_usage_percentage", "Disk used", "%", "Disk used %", "machine", 1.0),
    (r"network_receive_megabytes", "Network received", "MB", "Network (MB since start)", "received", 1.0),
    (r"network_transmit_megabytes", "Network sent", "MB", "Network (MB since start)", "sent", 1.0),
    (r"gpu_(\d+)_utilization_percentage", "GPU {0} util", "%", "GPU util %", "GPU {0}", 1.0),
    (r"gpu_(\d+)_memory_usage_percentage", "GPU {0} memory", "%", "GPU memory %", "GPU {0}", 1.0),
    (r"gpu_(\d+)_memory_usage_megabytes", "GPU {0} memory", "GB", "GPU memory (GB)", "GPU {0}", 1e-3),
    (r"gpu_(\d+)_memory_usage_gigabytes", "GPU {0} memory", "GB", "GPU memory (GB)", "GPU {0}", 1.0),
    (r"gpu_(\d+)_memory_busy_time_percent", "GPU {0} memory busy", "%", "GPU memory busy %", "GPU {0}", 1.0),
    (r"gpu_(\d+)_power_usage_watts", "GPU {0} power", "W", "GPU power (W)", "GPU {0}", 1.0),
    (r"gpu_(\d+)_power_usage_percentage", "GPU {0} power", "%", "GPU power %", "GPU {0}", 1.0),
)
_COMPILED = tuple((re.compile(rule[0]), rule) for rule in _RULES)
_NODE = re.compile(r"^node_(\d+)/(.+)$")
"""MLflow's `system/node_<id>/…` of a multi-node run."""


def describe(key: str) -> SystemMetric | None:
    """What a machine metric is (None for a metric that is not `system/…`); an unknown
    `system/` name keeps its name as the title, with no unit and a chart of its own."""
    if not is_system_metric(key):
        return None
    name = key.split(PREFIX, 1)[1]
    node = ""
    if (match := _NODE.match(name)) is not None:
        node, name = f"node {match.group(1)} ", match.group(2)
    for pattern, (_, title, unit, group, series, scale) in _COMPILED:
        found = pattern.fullmatch(name)
        if found is not None:
            parts = found.groups()
            return SystemMetric(
                node + title.format(*parts), unit, node + group.format(*parts), series.format(*parts), scale
            )
    return SystemMetric(node + name, "", node + name, node + name)


def chart_title(key: str) -> str:
    """A pane's title: a machine metric's label (`GPU 0 util %`), any other metric's own name."""
    spec = describe(key)
    return key if spec is None else spec.label


def clock_or_step(keys: Iterable[str]) -> str:
    """The x axis charts of `keys` open on: wall-clock time when they are all machine metrics
    (sampled on a timer: their steps count samples), else steps."""
    keys = list(keys)
    return "wall" if keys and all(is_system_metric(k) for k in keys) else "step"
