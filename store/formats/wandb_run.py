"""One W&B run folder (`wandb/run-*/`, `wandb/offline-run-*/`) as what a listing and the detail screens need
(its console is read by store/formats/wandb_console.py, its machine's facts by store/formats/wandb_machine.py).

With the `wandb` package installed, the run's record log (`run-<id>.wandb`, framed by
store/formats/wandb_log.py) is decoded with the protobuf schema wandb ships
(`wandb.proto.wandb_internal_pb2.Record`), record by record as the log grows:

- `run`: id, name, project (the experiment), group, job type, tags, notes, start time, config
- `config`: config updates (the `_wandb` bookkeeping key is left out) -> params
- `history`: one row of `wandb.log`; numbers become metric points at its `_step`
  (nested dicts as `a.b`, as W&B names them); a `wandb.Image` is noted by key and step (its
  file is under `files/media/`), histograms and other objects are skipped
- `summary`: `run.summary` updates (shown as facts; the listing's last/min/max come from history;
  a number no history row holds, such as `best_val_acc`, is a metric of one point)
- `stats`: system metrics, as metrics under `system/` with steps counting samples
- `environment`: host, user, program, Python, git -> facts
- `exit`: the exit code: 0 finished, otherwise failed; no exit record and a log that stopped
  growing is a crashed run (store/formats/tailed.py)

Without `wandb`, or before the log has anything, what the folder's plain files say is used:
`files/config.yaml`, `files/wandb-summary.json`, `files/wandb-metadata.json` (online runs
and synced runs have them; an offline run has only its log), and the folder's name.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from store import safe_read
from store.formats.series import PendingPoints, SeriesSet, a_time, number, utc_seconds, whole
from store.formats.wandb_log import RECORD_MODULE, RecordLog, WandbLogError, record_schema
from store.formats.wandb_machine import machine_facts, metadata_machine
from store.formats.wire import SUMMARY, wandb_records
from store.nested_dicts import flatten

WANDB_MODULE = RECORD_MODULE
RUN_FOLDER = re.compile(r"^(?:offline-)?run-(\d{8}_\d{6})-([A-Za-z0-9]+)$")
_SKIPPED_CONFIG = {"_wandb"}
IMAGE_TYPE = "image-file"
"""The `_type` of a `wandb.Image` in a history row (its other fields: `path`, `caption`, `width`, ...)."""


def folder_id(name: str) -> str | None:
    """The run id in a run folder's name `[offline-]run-YYYYMMDD_HHMMSS-<id>` (`folder_facts` without the time)."""
    match = RUN_FOLDER.match(name)
    return None if match is None else match.group(2)


def folder_facts(name: str) -> tuple[str | None, float | None]:
    """(run id, start time) from a run folder's name `[offline-]run-YYYYMMDD_HHMMSS-<id>`.

    The name holds the writer's local time, its zone unknown here: the start time is a last
    resort after the run record's and `wandb-metadata.json`'s `startedAt` (UTC)."""
    match = RUN_FOLDER.match(name)
    if match is None:
        return None, None
    try:
        started = datetime.strptime(match.group(1), "%Y%m%d_%H%M%S").timestamp()
    except ValueError:
        started = None
    return match.group(2), started


def log_file(path: str) -> str | None:
    """The run's `run-<id>.wandb` record log, if the folder has one."""
    try:
        names = [e.name for e in os.scandir(path) if e.name.endswith(".wandb") and e.is_file()]
    except OSError:
        return None
    return os.path.join(path, sorted(names)[0]) if names else None


@dataclass
class WandbRun:
    """What has been read of one run folder; `update` reads what its record log gained."""

    path: str
    run_id: str | None = None
    name: str | None = None
    project: str | None = None
    started: float | None = None
    last_time: float | None = None
    exit_code: int | None = None
    runtime: float | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    summary_files: dict[str, Any] = field(default_factory=dict)
    """`files/wandb-summary.json`, when there is no record log to read."""
    _summary_raw: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    series: SeriesSet = field(default_factory=SeriesSet)
    images: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)
    """`wandb.Image`s by key and step: (path below `files/` as the record says, caption)."""
    problems: list[str] = field(default_factory=list)
    log: RecordLog | None = None
    decoded: bool = False
    """Whether the record log was read (the `wandb` package is installed and the folder has one)."""
    damaged: str | None = None
    """Why the record log could not be read at all (its header, or the file); None when it was."""
    _samples: int = 0
    _bad: int = 0

    def update(self, with_records: bool) -> None:
        if with_records:
            path = log_file(self.path)
            if path is not None:
                self._read_log(path)
                return
        if not self.decoded:
            self._read_files()

    # -- the record log ------------------------------------------------------------------

    def _read_log(self, path: str) -> None:
        from google.protobuf.message import DecodeError

        pb: Any = record_schema()
        if self.log is None or self.log.path != path:
            self.log = RecordLog(path)
        try:
            payloads = self.log.read_new()
        except (OSError, WandbLogError) as exc:
            if not self.decoded:
                self._read_files()
            self.damaged = (
                str(exc)[:160]
                if isinstance(exc, WandbLogError)
                else f"{os.path.basename(path)} is unreadable ({str(exc)[:120]})"
            )
            self.problems = [self.damaged, *(p for p in self.problems if p != self.damaged)]
            return
        self.damaged = None
        if self.log.restarted:  # the log was replaced: start over
            self.log.restarted = False
            self._reset()
        self.decoded = True
        points = PendingPoints()
        rows = _Rows()
        summary: list[str] = []  # the summary records' keys and values in order, for one `dict.update`
        for payload, items in zip(payloads, wandb_records(payloads)):  # most, read straight from their bytes
            if items is not None:
                kind, text, step = items
                if kind == SUMMARY:
                    summary += text
                    if len(summary) > ROWS_AT_ONCE:  # held no longer than history rows are (`_Rows`)
                        self._summary_raw.update(zip(summary[::2], summary[1::2]))
                        summary = []
                else:
                    self._take_history(text, step, points, rows)
                continue
            try:
                record = pb.Record.FromString(payload)
            except DecodeError:
                self._bad += 1
                continue
            if summary:
                self._summary_raw.update(zip(summary[::2], summary[1::2]))
                summary = []
            rows.flush(self, points)
            self._take(record, points, rows)
        self._summary_raw.update(zip(summary[::2], summary[1::2]))
        rows.flush(self, points)
        points.flush(self.series)
        self.problems = []
        if self.log.skipped or self._bad:
            self.problems.append(
                f"{self.log.skipped + self._bad} damaged record(s) in {os.path.basename(path)} skipped"
            )

    def _reset(self) -> None:
        keep = self.log
        fresh = WandbRun(self.path)
        self.__dict__.update(fresh.__dict__)
        self.log = keep

    def _take(self, record: Any, points: PendingPoints, rows: _Rows) -> None:
        """Note one record; its metric points go into `points` (added to the series by the caller, in one go)."""
        kind = record.WhichOneof("record_type")
        if kind == "summary":  # two a step: kept as W&B's JSON text, decoded only when shown
            raw = self._summary_raw
            for item in record.summary.update:
                raw[_key(item)] = item.value_json
        elif kind == "history":
            history = record.history
            flat = [text for item in history.item for text in (_key(item), item.value_json)]
            self._take_history(flat, int(history.step.num), points, rows)
        elif kind == "stats":
            self._take_stats(record.stats, points)
        elif kind == "config":
            for item in record.config.update:
                _set_nested(self.config, _item_key(item), _json(item.value_json))
            for item in record.config.remove:
                self.config.pop(_item_key(item)[0], None)
        elif kind == "run":
            self._take_run(record.run)
        elif kind == "environment":
            env = record.environment
            for fact in ("host", "username", "email", "program", "python", "os", "executable", "root"):
                value = getattr(env, fact, "")
                if value:
                    self.facts[fact] = str(value)
            if env.HasField("git") and env.git.commit:
                self.facts["git_commit"] = env.git.commit
                self.facts["git_remote"] = env.git.remote_url or None
            self.facts.update(
                machine_facts(
                    {
                        "args": list(env.args),
                        "cpu_count": env.cpu_count or env.cpu.count,
                        "cpu_model": env.cpu.model,
                        "memory_total": env.memory.total,
                        "gpu_count": env.gpu_count,
                        "gpu": ", ".join(sorted({g.name for g in env.gpu_nvidia if g.name})) or env.gpu_type,
                        "disk_total": sum(d.total for d in env.disk.values()) if len(env.disk) == 1 else 0,
                    }
                )
            )
        elif kind == "exit":
            self.exit_code = int(record.exit.exit_code)
            self.runtime = float(record.exit.runtime)

    def _take_run(self, run: Any) -> None:
        self.run_id = run.run_id or self.run_id
        self.name = run.display_name or self.name
        self.project = run.project or self.project
        self.notes = run.notes or self.notes
        self.tags = list(run.tags) or self.tags
        if run.HasField("start_time") and a_time(run.start_time.seconds):
            self.started = run.start_time.seconds + run.start_time.nanos / 1e9
        for fact, value in (
            ("entity", run.entity),
            ("group", run.run_group),
            ("job_type", run.job_type),
            ("sweep", run.sweep_id),
            ("host", run.host),
        ):
            if value:
                self.facts[fact] = str(value)
        for item in run.config.update:
            _set_nested(self.config, _item_key(item), _json(item.value_json))

    def _take_history(self, text: list[str], num: int, points: PendingPoints, rows: _Rows) -> None:
        """One `wandb.log` row, keys and values alternating as `wire.wandb_items` gives them, `num` its
        record's step. A log's rows have a few key sequences (W&B writes a row's keys in an order that
        varies, over the same few keys): what each key is for is worked out once a sequence (`rows.plans`,
        for one batch of records), and rows of the same keys one after another are read column by column
        (`_Rows`). Points of any other kind (`_take_row`, system metrics) wait for those before them."""
        keys = tuple(text[::2])
        plans = rows.plans
        try:
            plan = plans[keys]
        except KeyError:
            plan = _plan(keys)
            if len(plans) < MAX_PLANS:
                plans[keys] = plan
        if plan is None:
            rows.flush(self, points)
            self._take_row(dict(zip(text[::2], text[1::2])), num, points)
            return
        shape, metrics, row_values = plan
        if shape != rows.shape or len(rows.nums) >= ROWS_AT_ONCE:
            rows.flush(self, points)
            rows.shape = shape
        values = text[1::2]
        rows.values.append(row_values(values))
        rows.rows.append((metrics, values))
        rows.nums.append(num)

    def _saw(self, times: list[float]) -> None:
        """Note the times of rows read by column (`_Rows`): the newest not NaN is the run's last time if later."""
        total = sum(times)  # NaN only when one is (or infinities of both signs): those are left out one by one
        newest = max(times) if total == total else max((t for t in times if t == t), default=None)
        if newest is not None and (self.last_time is None or newest > self.last_time):
            self.last_time = newest

    def _take_metrics(
        self, metrics: tuple[tuple[str, int], ...], values: list[str], step: int, when: float, points: PendingPoints
    ) -> None:
        """The points of a planned row's metrics (`RowPlan`), one by one."""
        add = points.add
        for key, at in metrics:
            value = values[at]
            if value and value[0] not in _NOT_NUMBERS:  # `_float`, inline
                try:
                    add(key, step, when, float(value))
                except ValueError:
                    pass
            elif value.startswith("{") and IMAGE_TYPE in value:
                self._take_object(key, value, step)

    def _take_row(self, row: dict[str, str], num: int, points: PendingPoints) -> None:
        """`_take_history` of a row of repeated keys or W&B objects (`a._type`, `a.path`, ...), `{key: value_json}`.
        Values are W&B's JSON text; numbers are read with `float` (JSON's numbers, and W&B's NaN and
        Infinity, are Python float literals), the rest is not a metric."""
        text = row.get("_step")
        step = num if text is None else _step(text, num)
        when = _float(row.get("_timestamp"))
        when = float("nan") if when is None else when
        if when == when and (self.last_time is None or when > self.last_time):
            self.last_time = when
        media = (
            tuple(key[: -len("_type")] for key in row if key.endswith("._type"))
            if "._type\0" in "\0".join(row) + "\0"  # one search a row; most rows have no object
            else ()
        )
        for prefix in media:
            if _json(row[prefix + "_type"]) == IMAGE_TYPE:
                self._take_image(
                    prefix[:-1], step, _json(row.get(prefix + "path", "")), _json(row.get(prefix + "caption", '""'))
                )
        for key, text in row.items():
            if key.startswith("_") or (media and key.startswith(media)):
                continue  # W&B's own columns, and the fields of an image, table, ... (files under media/)
            number = _float(text)
            if number is not None:
                points.add(key, step, when, number)
            elif text.startswith("{") and IMAGE_TYPE in text:
                self._take_object(key, text, step)

    def _take_object(self, key: str, text: str, step: int) -> None:
        """An image as one JSON object (older writers), noted; any other object is not a metric."""
        value = _json(text)
        if isinstance(value, dict) and value.get("_type") == IMAGE_TYPE:
            self._take_image(key, step, value.get("path"), value.get("caption"))

    def _take_image(self, key: str, step: int, path: Any, caption: Any) -> None:
        """Note a `wandb.Image` of `key` at `step`: its file's path below `files/` as the record says it
        (W&B names the file by the step before, so the record's `_step` is the one to trust)."""
        if isinstance(path, str):
            self.images.setdefault(key, {})[step] = (path, caption if isinstance(caption, str) else "")

    def _take_stats(self, stats: Any, points: PendingPoints) -> None:
        when = stats.timestamp.seconds + stats.timestamp.nanos / 1e9
        step = self._samples
        self._samples += 1
        for item in stats.item:
            number = _float(item.value_json)
            if number is not None:
                points.add(f"system/{item.key}", step, when, number)
        if self.last_time is None or when > self.last_time:
            self.last_time = when

    # -- plain files (no wandb package, or no log) -----------------------------------------

    def _read_files(self) -> None:
        files = os.path.join(self.path, "files")
        problems: list[str] = []
        config = _read_json_or_yaml(os.path.join(files, "config.yaml"), problems)
        self.config = {k: (v.get("value") if isinstance(v, dict) and "value" in v else v) for k, v in config.items()}
        self.summary_files = _read_json_or_yaml(os.path.join(files, "wandb-summary.json"), problems)
        meta = _read_json_or_yaml(os.path.join(files, "wandb-metadata.json"), problems)
        for fact in ("host", "username", "email", "program", "python", "os", "executable", "root"):
            if isinstance(meta.get(fact), str):
                self.facts[fact] = meta[fact]
        self.facts.update(metadata_machine(meta))
        started = utc_seconds(meta.get("startedAt"))
        self.started = started if a_time(started) else self.started
        self.problems = problems

    def last_seen(self) -> float | None:
        """When the run last did something by its own records: its newest history row or system
        sample, its summary's `_timestamp`, its start plus the exit record's or the summary's
        `_runtime`. Never a file's time, which a copy resets (a 13-minute run showed 606 days)."""
        summary = (
            self.summary_files
            if not self.decoded
            else {k: _json(v) for k, v in self._summary_raw.items() if k in ("_timestamp", "_runtime")}
        )
        times = [self.last_time, number(summary.get("_timestamp"))]
        if self.started is not None:
            times += [self.started + r for r in (self.runtime, number(summary.get("_runtime"))) if r is not None]
        known = [t for t in times if t is not None and a_time(t)]
        return max(known) if known else None

    def summary_metrics(self) -> dict[str, float]:
        """The summary's numbers (nested keys as `a.b`): what a run without its record log has for metrics."""
        values = {key: number(value) for key, value in flatten(self.summary()).items()}
        return {key: value for key, value in values.items() if value is not None and math.isfinite(value)}

    def summary_only(self) -> dict[str, float]:
        """The summary's numbers that no history row holds (`best_val_acc`, `test/acc`): one-point metrics."""
        return {key: value for key, value in self.summary_metrics().items() if key not in self.series.by_key}

    def summary(self) -> dict[str, Any]:
        """`run.summary` as the run left it (nested keys as `a.b`), W&B's own `_` keys left out, and so are
        W&B's objects (a histogram's bins and values, an image's fields): data for a chart or a file, not text."""
        if not self.decoded:
            return {k: v for k, v in _plain(self.summary_files).items() if not k.startswith("_")}
        raw = self._summary_raw
        objects = tuple(key[: -len("_type")] for key in raw if key.endswith("._type"))
        return {
            k: _plain(_json(v))
            for k, v in raw.items()
            if not k.startswith("_") and not (objects and k.startswith(objects)) and not _typed(_json(v))
        }

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in self.config.items() if k not in _SKIPPED_CONFIG}


RowPlan = tuple[tuple[bool, bool, tuple[str, ...]], tuple[tuple[str, int], ...], Callable[[list[str]], tuple[str, ...]]]
"""How a history row of one key sequence is read: its shape (whether it has `_step`, whether `_timestamp`,
its metrics' keys sorted: the row's columns, whatever their order), each metric's `(key, index)` (W&B's
own `_` keys left out), and what gives its values in the shape's order (`_step`'s, `_timestamp`'s, the
metrics')."""
MAX_PLANS = 4096
"""Key sequences whose plans one batch of records keeps; a row of any other is planned again."""
ROWS_AT_ONCE = 1024
"""Rows `_Rows` holds before it reads them: their text is kept until then (a log of a million rows is
not all held at once)."""


def _plan(keys: tuple[str, ...]) -> RowPlan | None:
    """The plan of a history row with these keys; None for a row `_take_row` reads: a key twice (the last
    value wins, at the first one's place), or one of W&B's objects (its `a._type`, `a.path`, ...)."""
    if len(set(keys)) != len(keys) or any(key.endswith("._type") for key in keys):
        return None
    at = {key: i for i, key in enumerate(keys)}
    metrics = tuple((key, i) for i, key in enumerate(keys) if not key.startswith("_"))
    columns = tuple(sorted(key for key, _ in metrics))
    places = [at[key] for key in ("_step", "_timestamp") if key in at] + [at[key] for key in columns]
    row_values: Callable[[list[str]], tuple[str, ...]]
    if len(places) == 1:
        row_values = lambda values: (values[places[0]],)  # noqa: E731 - itemgetter of one is no tuple
    elif places:
        row_values = itemgetter(*places)
    else:
        row_values = lambda values: ()  # noqa: E731
    return ("_step" in at, "_timestamp" in at, columns), metrics, row_values


class _Rows:
    """History rows of one shape one after another (the same metrics, any order of their keys), read by
    column when the shape changes or points of another kind come: each column's text to numbers in one
    `map`, its points added in one go. A column that is not all numbers (text, an image, W&B's `nan` that
    is no JSON number) has its rows read one by one instead (`WandbRun._take_metrics`); so do steps and
    times that are not all as most are (`_steps`, `_times`)."""

    __slots__ = ("nums", "plans", "rows", "shape", "values")

    def __init__(self) -> None:
        self.plans: dict[tuple[str, ...], RowPlan | None] = {}
        self.shape: tuple[bool, bool, tuple[str, ...]] | None = None
        self.values: list[tuple[str, ...]] = []
        self.rows: list[tuple[tuple[tuple[str, int], ...], list[str]]] = []
        self.nums: list[int] = []

    def flush(self, run: WandbRun, points: PendingPoints) -> None:
        if not self.nums or self.shape is None:
            return
        has_step, has_time, columns = self.shape
        texts = list(zip(*self.values))
        steps = _steps(texts[0], self.nums) if has_step else self.nums
        times = _times(texts[has_step]) if has_time else [math.nan] * len(self.nums)
        if has_time:
            run._saw(times)
        numbers = _numbers(texts[has_step + has_time :]) if columns else []
        if numbers is None:
            for (metrics, values), step, when in zip(self.rows, steps, times):
                run._take_metrics(metrics, values, step, when, points)
        elif columns:
            by_column = dict(zip(columns, numbers))
            for key, _ in self.rows[0][0]:  # in the first row's order, which a new key's points are met in
                points.extend(key, steps, times, by_column[key])
        self.values, self.rows, self.nums = [], [], []


def _steps(texts: tuple[str, ...], nums: list[int]) -> list[int]:
    """The steps of rows whose `_step` texts these are (`nums`: their records' steps): the text's whole
    number, else the record's; digits (below 16 of them) read at once."""
    joined = "".join(texts)
    if joined.isascii() and joined.isdigit() and len(max(texts, key=len)) < 16 and min(texts, key=len):
        return list(map(int, texts))
    return [_step(text, num) for text, num in zip(texts, nums)]


def _step(text: str, num: int) -> int:
    """A row's step from its `_step` text, `num` (its record's) when that is no whole number."""
    if text.isascii() and text.isdigit() and len(text) < 16:
        return int(text)  # what `whole` gives for the digits of a step below 2**53, sooner
    found = whole(text)
    return num if found is None else found


def _times(texts: tuple[str, ...]) -> list[float]:
    """The times of rows whose `_timestamp` texts these are, as `_float` reads each (NaN for none): at once
    when all are a float's text (those `_float` refuses that `float` reads, `nan`, are NaN either way)."""
    try:
        return list(map(float, texts))
    except ValueError:
        return [math.nan if (when := _float(text)) is None else when for text in texts]


def _numbers(columns: list[tuple[str, ...]]) -> list[list[float]] | None:
    """Each column (values of W&B's JSON text) as numbers, as `_float` reads each; None when one is not all
    numbers."""
    try:
        numbers = [list(map(float, column)) for column in columns]
    except ValueError:  # text, bools, null, lists, objects, an empty value: none of them a float's text
        return None
    for texts, found in zip(columns, numbers):
        total = sum(found)
        if total != total and any(text[:1] == "n" for text in texts):  # `nan`: a float's text, but no JSON
            return None
    return numbers


_NOT_NUMBERS = '"tfn[{'
"""How W&B's JSON text of a value that is no number starts (text, bools, null, lists, objects)."""


def _float(text: str | None) -> float | None:
    """A number from W&B's JSON text of a value; None for text, bools, lists, objects and null."""
    if not text or text[0] in _NOT_NUMBERS:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _typed(value: Any) -> bool:
    """Whether a value is one of W&B's objects (`{"_type": "histogram", "bins": ..., ...}`)."""
    return isinstance(value, dict) and "_type" in value


def _plain(value: Any) -> Any:
    """A summary value without W&B's objects at any depth (a dict of them loses those keys)."""
    if not isinstance(value, dict):
        return value
    return {k: _plain(v) for k, v in value.items() if not _typed(v)}


def _key(item: Any) -> str:
    """An item's key as W&B names it (`a.b` when nested); wandb-core writes a plain key as a one-part `nested_key`."""
    if item.key:
        return str(item.key)
    nested = item.nested_key
    return str(nested[0]) if len(nested) == 1 else ".".join(nested)


def _item_key(item: Any) -> list[str]:
    return list(item.nested_key) if item.nested_key else [item.key]


def _json(text: str) -> Any:
    """A `value_json` as W&B wrote it; W&B writes NaN and Infinity as JSON's extensions, which json reads."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _set_nested(target: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        inner = target.get(key)
        if not isinstance(inner, dict):
            inner = target[key] = {}
        target = inner
    target[keys[-1]] = value


def _read_json_or_yaml(path: str, problems: list[str]) -> dict[str, Any]:
    """A small JSON or YAML file as a dict; {} when missing; a problem noted when unreadable."""
    try:
        text = safe_read.read_text(path, cap=safe_read.SMALL_FILE_CAP)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        problems.append(f"{os.path.basename(path)} is unreadable ({str(exc)[:80]})")
        return {}
    try:
        if path.endswith(".json"):
            data = safe_read.loads_json(text)
        else:
            import yaml

            data = safe_read.load_yaml(text, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (ValueError, RecursionError) as exc:
        problems.append(f"{os.path.basename(path)} is not readable ({str(exc)[:80]})")
        return {}
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError without importing yaml at module level
        problems.append(f"{os.path.basename(path)} is not valid YAML ({str(exc).splitlines()[0][:80]})")
        return {}
    return data if isinstance(data, dict) else {}
