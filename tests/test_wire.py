"""The hand-read wire format (store/formats/wire.py) gives exactly what the protobuf schema gives, or nothing.

Every record of the logs the real tools wrote (tests/data/foreign: W&B's record logs, TensorBoard's
event files, among them the `odd` runs of NaN, infinities, text, nested keys, long and non-ASCII
keys) is read both ways; shapes the tools did not write here (an old SDK's `key`, typed values, a
field the fast path does not know, text that is not UTF-8) are made with the schema's own serializer.
"""

from __future__ import annotations

import itertools
import math
import struct
from typing import Any

import pytest

pytest.importorskip("wandb")
pytest.importorskip("tensorboard")

from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2, summary_pb2

from store.formats import wire
from store.formats.tb_events import EventFileTail, is_event_file
from store.formats.wandb_log import RecordLog, record_schema
from tests.foreign_children import FOREIGN_DATA

pb: Any = record_schema()  # wandb's own schema (untyped)


def _key(item: Any) -> str:
    """W&B's name of an item, as the reader makes it from the schema (store/formats/wandb_run.py)."""
    if item.key:
        return str(item.key)
    return ".".join(item.nested_key)


def schema_items(payload: bytes) -> tuple[int, list[str], int] | None:
    """What `wire.wandb_items` must give for a payload, read with the schema; None for other kinds."""
    record = pb.Record.FromString(payload)
    kind = record.WhichOneof("record_type")
    if kind not in ("history", "summary"):
        return None
    items = record.history.item if kind == "history" else record.summary.update
    flat = [text for item in items for text in (_key(item), item.value_json)]
    return (wire.HISTORY if kind == "history" else wire.SUMMARY), flat, int(record.history.step.num)


def wandb_payloads() -> list[tuple[str, bytes]]:
    logs = sorted(FOREIGN_DATA.rglob("run-*.wandb"))
    assert len(logs) >= 8
    return [(log.parent.name, payload) for log in logs for payload in RecordLog(str(log)).read_new()]


def test_every_w_and_b_record_read_by_hand_is_what_the_schema_reads() -> None:
    fast = slow = 0
    seen: dict[bytes, wire.WandbItems] = {}
    for folder, payload in wandb_payloads():
        expected = schema_items(payload)
        found = wire.wandb_items(payload)
        assert wire.wandb_items(payload, seen) == found  # a repeated summary record, looked up: the same
        if found is None:
            slow += expected is not None
            continue
        assert found == expected, (folder, payload)
        fast += 1
    assert fast > 10 * slow, (fast, slow)  # the fast path reads nearly every history and summary record
    assert len(seen) > 10


def test_a_repeated_summary_record_is_looked_up_by_its_bytes_after_num() -> None:
    seen: dict[bytes, wire.WandbItems] = {}
    one = _record(
        num=1, summary=pb.SummaryRecord(update=[pb.SummaryItem(nested_key=["_wandb", "runtime"], value_json="3")])
    )
    two = _record(
        num=2, summary=pb.SummaryRecord(update=[pb.SummaryItem(nested_key=["_wandb", "runtime"], value_json="3")])
    )
    other = _record(
        num=3, summary=pb.SummaryRecord(update=[pb.SummaryItem(nested_key=["_wandb", "runtime"], value_json="4")])
    )
    first = wire.wandb_items(one, seen)
    assert first == (wire.SUMMARY, ["_wandb.runtime", "3"], 0) and len(seen) == 1
    assert wire.wandb_items(two, seen) is first
    assert wire.wandb_items(other, seen) == (wire.SUMMARY, ["_wandb.runtime", "4"], 0) and len(seen) == 2


def test_the_odd_w_and_b_values_are_read_by_hand() -> None:
    """NaN, infinities, text, a nested key, a key of 150 characters and a non-ASCII one: all on the fast path."""
    texts = [text for folder, payload in wandb_payloads() if "qigv3rpg" in folder for text in _fast_texts(payload)]
    for seen in ("NaN", "Infinity", "-Infinity", '"text"', "true", "null", "[1,2]", "nested.a.b", "é/loss", "k" * 150):
        assert seen in texts, seen
    assert any(text.startswith('"' + "v" * 100) for text in texts)


def _fast_texts(payload: bytes) -> list[str]:
    found = wire.wandb_items(payload)
    return found[1] if found is not None else []


def _record(**fields: Any) -> bytes:
    return bytes(pb.Record(**fields).SerializeToString())


@pytest.mark.parametrize(
    "payload,by_hand",
    [
        (_record(num=3, history=pb.HistoryRecord(item=[pb.HistoryItem(key="loss", value_json="0.5")])), True),
        (
            _record(
                num=3, summary=pb.SummaryRecord(update=[pb.SummaryItem(nested_key=["a", "b", "c"], value_json="1")])
            ),
            True,
        ),
        (
            _record(summary=pb.SummaryRecord(update=[pb.SummaryItem(key="k", nested_key=["x", "y"], value_json="2")])),
            True,
        ),
        (
            _record(num=9, history=pb.HistoryRecord(item=[pb.HistoryItem(key="loss")], step=pb.HistoryStep(num=-5))),
            True,
        ),
        (_record(num=1, history=pb.HistoryRecord(item=[pb.HistoryItem(key="x" * 300, value_json="1" * 200)])), True),
        (_record(num=2**40, history=pb.HistoryRecord(step=pb.HistoryStep(num=2**62))), True),
        (_record(num=1, history=pb.HistoryRecord(item=[pb.HistoryItem(key="loss", number=0.5)])), False),  # typed
        (_record(num=1, summary=pb.SummaryRecord(remove=[pb.SummaryItem(key="gone")])), False),
        (_record(num=1, history=pb.HistoryRecord(item=[pb.HistoryItem(key="a", value_json="1")]), uuid="u"), False),
        (_record(num=1, output_raw=pb.OutputRawRecord(line="hello")), False),
    ],
)
def test_shapes_another_writer_may_send_are_read_as_the_schema_reads_them_or_left_to_it(
    payload: bytes, by_hand: bool
) -> None:
    found = wire.wandb_items(payload)
    assert (found is not None) == by_hand
    assert found is None or found == schema_items(payload)


def test_text_that_is_not_utf8_is_left_to_the_schema_which_refuses_it() -> None:
    good = _record(num=1, history=pb.HistoryRecord(item=[pb.HistoryItem(nested_key=["lo"], value_json="0.5")]))
    bad = good.replace(b"lo", b"l\xff")
    assert wire.wandb_items(good) is not None and wire.wandb_items(bad) is None
    with pytest.raises(DecodeError):
        pb.Record.FromString(bad)
    hidden = _record(
        num=1, summary=pb.SummaryRecord(update=[pb.SummaryItem(key="k", nested_key=["zz"], value_json="1")])
    )
    assert wire.wandb_items(hidden) == (wire.SUMMARY, ["k", "1"], 0)
    bad = hidden.replace(b"zz", b"z\xff")  # a `key` wins over `nested_key`, but the schema refuses the record
    assert wire.wandb_items(bad) is None
    with pytest.raises(DecodeError):
        pb.Record.FromString(bad)


def test_overlong_and_overflowing_varints_are_read_as_the_schema_reads_them() -> None:
    record = _record(
        num=1, history=pb.HistoryRecord(item=[pb.HistoryItem(key="a", value_json="1")], step=pb.HistoryStep(num=-1))
    )
    assert record.endswith(b"\xff\x01")  # -1 as ten bytes
    overflowing = record[:-1] + b"\x7f"  # a tenth byte past 1: the schema keeps the low 64 bits
    assert wire.wandb_items(overflowing) == schema_items(overflowing) == (wire.HISTORY, ["a", "1"], -1)
    overlong = b"\x08" + b"\x81" * 11 + b"\x01" + record[2:]  # num in 12 bytes: the schema refuses it
    assert wire.wandb_items(overlong) is None
    with pytest.raises(DecodeError):
        pb.Record.FromString(overlong)
    value = summary_pb2.Summary.Value(tag="a", simple_value=1.0)
    event = bytes(event_pb2.Event(step=-1, summary=summary_pb2.Summary(value=[value])).SerializeToString())
    at = event.index(b"\xff\x01") + 1
    overflowing = event[:at] + b"\x7f" + event[at + 1 :]
    assert _same(wire.tb_scalars(overflowing), schema_scalars(overflowing))
    assert wire.tb_scalars(overflowing) == (0.0, -1, [("a", 1.0)])


def test_cut_or_grown_records_are_never_read_by_hand_as_something_else() -> None:
    """Every prefix of real records, and each with a byte added: the fast path gives the schema's answer or None."""
    for _, payload in wandb_payloads()[:200]:
        for damaged in [payload[:cut] for cut in range(len(payload))] + [payload + b"\x00", payload + b"\x08\x01"]:
            found = wire.wandb_items(damaged)
            if found is not None:
                assert found == schema_items(damaged), damaged


def schema_scalars(raw: bytes) -> tuple[float, int, list[tuple[str, float]]] | None:
    """What the TensorBoard reader takes of an event holding only simple values, read with the schema."""
    event = event_pb2.Event.FromString(raw)
    if not event.HasField("summary"):
        return None
    values = event.summary.value
    if any(v.WhichOneof("value") != "simple_value" or v.HasField("metadata") for v in values):
        return None
    return float(event.wall_time), int(event.step), [(v.tag, float(v.simple_value)) for v in values]


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN, and -0.0 told from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def test_every_tensorboard_event_read_by_hand_is_what_the_schema_reads() -> None:
    files = [p for p in sorted((FOREIGN_DATA / "tensorboard").rglob("*")) if is_event_file(p.name)]
    assert any("odd" in str(p) for p in files)
    fast = 0
    tags: list[str] = []
    for path in files:
        for _, raw in EventFileTail(str(path)).read_new():
            found = wire.tb_scalars(raw)
            if found is None:
                continue
            assert _same(found, schema_scalars(raw)), (path, raw)
            fast += 1
            tags += [tag for tag, _ in found[2]]
    assert fast >= 16 and {"loss", "", "loss/é", "train/loss"} <= set(tags)


@pytest.mark.parametrize(
    "event",
    [
        event_pb2.Event(step=-1, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(simple_value=1.0)])),
        event_pb2.Event(
            wall_time=1.5, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="a", simple_value=0.0)])
        ),
        event_pb2.Event(wall_time=1.5, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="a")])),
        event_pb2.Event(wall_time=1.5, file_version="brain.Event:2"),
        event_pb2.Event(
            wall_time=1.5,
            summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="a", node_name="n", simple_value=1.0)]),
        ),
    ],
)
def test_tensorboard_shapes_are_read_as_the_schema_reads_them_or_left_to_it(event: Any) -> None:
    raw = bytes(event.SerializeToString())
    found = wire.tb_scalars(raw)
    assert found is None or _same(found, schema_scalars(raw))
    for cut in range(len(raw)):
        part = wire.tb_scalars(raw[:cut])
        if part is not None:
            assert _same(part, schema_scalars(raw[:cut]))


def test_a_float32_is_read_as_the_schema_widens_it() -> None:
    bits = struct.pack("<f", 0.1)
    event = event_pb2.Event(step=1, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x")]))
    event.summary.value[0].simple_value = struct.unpack("<f", bits)[0]
    found = wire.tb_scalars(bytes(event.SerializeToString()))
    assert found is not None and found[2] == [("x", float(event.summary.value[0].simple_value))]
    assert found[2][0][1] != 0.1  # a float32's value, not the text's


def test_a_tensorboard_run_lists_and_charts_the_same_with_and_without_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pandas as pd

    from store.formats import tb_events

    folders = sorted({p.parent for p in (FOREIGN_DATA / "tensorboard").rglob("*") if is_event_file(p.name)})
    for folder in folders:
        fast = tb_events.TbRun(str(folder))
        fast.update()
        with monkeypatch.context() as patched:
            patched.setattr(tb_events, "tb_scalars", lambda raw: None)
            slow = tb_events.TbRun(str(folder))
            slow.update()
        assert _same(list(fast.series.summaries().items()), list(slow.series.summaries().items())), folder
        pd.testing.assert_frame_equal(fast.series.frame(), slow.series.frame())
        assert (fast.first_time, fast.last_time, fast.images, fast.params, fast.plugins, fast.problems) == (
            slow.first_time,
            slow.last_time,
            slow.images,
            slow.params,
            slow.plugins,
            slow.problems,
        )


@pytest.mark.parametrize("at_once", [1024, 2])
def test_a_w_and_b_run_lists_and_charts_the_same_with_and_without_the_fast_path(
    at_once: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also with rows and summary items read 2 at a time (`ROWS_AT_ONCE`), as a long log is."""
    import pandas as pd

    from store.formats import wandb_run

    monkeypatch.setattr(wandb_run, "ROWS_AT_ONCE", at_once)

    folders = sorted({log.parent for log in FOREIGN_DATA.rglob("run-*.wandb")})
    for folder in folders:
        fast = wandb_run.WandbRun(str(folder))
        fast.update(True)
        with monkeypatch.context() as patched:
            patched.setattr(wandb_run, "wandb_records", lambda payloads: iter([None] * len(payloads)))
            slow = wandb_run.WandbRun(str(folder))
            slow.update(True)
        assert _same(fast.series.summaries(), slow.series.summaries()), folder
        pd.testing.assert_frame_equal(fast.series.frame(), slow.series.frame())
        assert list(fast._summary_raw.items()) == list(slow._summary_raw.items())  # in the same order
        assert list(fast.summary_only().items()) == list(slow.summary_only().items())
        assert (fast.images, fast.last_time, fast.last_seen(), fast.config, fast.problems) == (
            slow.images,
            slow.last_time,
            slow.last_seen(),
            slow.config,
            slow.problems,
        )
    assert any("odd" in str(folder) or "qigv3rpg" in str(folder) for folder in folders)


def test_garbage_in_an_event_file_leaves_no_memory_behind(tmp_path: Any) -> None:
    """Bytes that are no records (a file of noise named like an event file) are skipped and counted once,
    and the lengths tried on the way are not remembered: each wrong one was kept, one per byte, for as
    long as the run stayed open (2 MB of noise held two million entries)."""
    import random

    path = tmp_path / "events.out.tfevents.1.host"
    (good,) = FOREIGN_DATA.glob("tensorboard/runs/lr-0.1/events.*")
    noise = random.Random(7).randbytes(100_000)
    path.write_bytes(noise + good.read_bytes())
    tail = EventFileTail(str(path))
    records = tail.read_new()
    assert tail.bad_records == 1 and len(records) == len(EventFileTail(str(good)).read_new()) > 0
    assert len(tail._heads) <= 4


IMAGE = '{"_type": "image-file", "path": "media/images/e.png", "caption": ""}'
ROWS: list[dict[str, str]] = [
    {"_step": "0", "_timestamp": "1.5e9", "loss": "1", "acc": "0"},
    {"acc": "0.5", "_timestamp": "1.5e9", "_step": "1", "loss": "0.5"},  # the same keys in another order
    {"loss": "NaN", "acc": "Infinity", "_step": "2", "_timestamp": "1.5e9"},
    {"loss": "nan", "acc": '"text"', "flag": "true", "none": "null", "list": "[1]", "_step": "3"},  # no metrics
    {"_step": "4.0", "loss": "2"},  # no time; a step as a float
    {"_step": "x", "loss": "3"},  # a step that is no number: the record's
    {"loss": "4"},  # no `_step`
    {"_step": "99999999999999999999", "loss": "5"},
    {"_step": "6", "_runtime": "1.0", "_wandb.runtime": "1", "nested.key": "6", "": "7", "ünï": "8"},
    {"_step": "7", "img": '{"_type": "image-file", "path": "media/images/a.png", "caption": "c"}'},
    {"_step": "8", "pic._type": '"image-file"', "pic.path": '"media/images/b.png"', "pic.caption": '"d"', "x": "1"},
    {"_step": "9", "_timestamp": "1e9", "_timestamp2": "5", "acc": "1", "loss": "-0.0"},
]


@pytest.mark.parametrize(("with_logs", "at_once"), [(True, 1024), (False, 1024), (False, 2)])
def test_history_rows_read_by_plan_are_what_the_row_by_row_reading_gives(
    with_logs: bool, at_once: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`WandbRun._take_history` reads the rows of a key sequence met before by where each key is (its
    plan); rows of repeated keys or W&B's objects, and every row when plans are off, are read one by one
    (`_take_row`): both give the same points, times, images and order, from real logs and odd rows."""
    from store.formats import wandb_run
    from store.formats.series import PendingPoints

    monkeypatch.setattr(wandb_run, "ROWS_AT_ONCE", at_once)

    def read(rows: list[tuple[list[str], int]], plan: bool) -> wandb_run.WandbRun:
        run = wandb_run.WandbRun("x")
        points = PendingPoints()
        planned = wandb_run._Rows()
        for text, num in rows:
            if plan:
                run._take_history(text, num, points, planned)
            else:
                run._take_row(dict(zip(text[::2], text[1::2])), num, points)
        planned.flush(run, points)
        points.flush(run.series)
        return run

    same = [{"_step": str(i), "a": str(i / 3), "b": "1e3", "_timestamp": "1.5e9"} for i in range(10, 16)]
    same[1] = dict(reversed(same[1].items()))  # the same keys, another order
    odd = [dict(row, b=value) for row, value in zip(same, ["2", "nan", "NaN", "-Infinity", "3", "4"])]  # no JSON nan
    odd += [dict(row, b=value) for row, value in zip(same, ["5", '"x"', "6"])]
    objects = [dict(row, a=IMAGE) for row in same[:2]] + [{**row, "c": "1"} for row in same[:2]]
    apart = [{"_step": "99", "z": "1"}]  # other metrics: the rows before it are read (by column) before this one
    late = [{"_step": "1", "x": "1", "y": '"t"', "z": '"t"'}, {"_step": "2", "x": "2", "y": '"t"', "z": '"t"'}]
    late += [{"z": "3", "y": "3", "x": "3", "_step": "3"}, {"_step": "4", "x": "4", "y": "4", "z": "4"}]  # z first met
    times = [dict(row, _timestamp=value) for row, value in zip(same, ['"soon"', "nan", "", "Infinity", "-1", "2e9"])]
    times += [dict(row, _timestamp=value) for row, value in zip(same, ["NaN", "3e9", "nan", "-Infinity", "1e9"])]
    lots = same + apart + odd[:6] + apart + odd[6:] + apart + objects + apart + late + times[:6] + apart + times[6:]
    rows = [([t for kv in row.items() for t in kv], 40 + i) for i, row in enumerate(ROWS * 2 + lots)]
    rows.append((["a", "1", "b", "2", "a", "3"], 50))  # a key twice: the last value at the first place
    rows.append((["b", "4", "a", "5"], 51))
    if with_logs:
        for _, payload in wandb_payloads():
            found = wire.wandb_items(payload)
            if found is not None and found[0] == wire.HISTORY:
                rows.append((found[1], found[2]))
    by_plan, by_row = read(rows, True), read(rows, False)
    assert _same(list(by_plan.series.summaries().items()), list(by_row.series.summaries().items()))
    assert by_plan.series.frame().equals(by_row.series.frame())
    assert (by_plan.images, by_plan.last_time) == (by_row.images, by_row.last_time)
    assert by_row.images and len(by_row.series.by_key) > 5


def test_every_w_and_b_log_read_as_records_is_what_record_by_record_reading_gives() -> None:
    """`wire.wandb_records` reads a summary record that repeats the next history row from that row: on the
    real tools' logs (where wandb-core writes each row so), it gives what `wandb_items` gives each record."""
    logs = sorted(FOREIGN_DATA.rglob("run-*.wandb"))
    taken = 0
    for log in logs:
        payloads = RecordLog(str(log)).read_new()
        seen: dict[bytes, wire.WandbItems] = {}
        assert list(wire.wandb_records(payloads)) == [wire.wandb_items(payload, seen) for payload in payloads], log
        for a, b in itertools.pairwise(payloads):
            fields: list[int] = []
            found = wire.wandb_items(b, None, fields) if wire._summary_start(a) is not None else None
            taken += (
                found is not None
                and found[0] == wire.HISTORY
                and wire._rotation(a, wire._summary_start(a) or 0, b, found[1], fields) is not None
            )
    assert taken >= 20


def _row(items: list[tuple[str, str]], kind: str, step: int = 0, num: int = 7) -> bytes:
    record = pb.Record(num=num)
    found = record.summary.update if kind == "summary" else record.history.item
    for key, value in items:
        item = found.add()
        item.nested_key.append(key)
        item.value_json = value
    if kind == "history":
        record.history.step.num = step
    return bytes(record.SerializeToString())


@pytest.mark.parametrize("seed", range(40))
def test_a_summary_is_read_from_the_next_history_only_when_it_holds_those_items_rotated(seed: int) -> None:
    """Rotations (as wandb-core writes them), other orders, other values, a repeated item, items whose
    bytes repeat inside values, steps of every size, a history's step first: whatever the pair,
    `wandb_records` gives what `wandb_items` gives each record (None: read with the schema), which is
    what the schema reads."""
    import random

    chance = random.Random(seed)
    alphabet = ["a", "b", "\n", "\x12", "\n\x05\x12\x01a\x82\x01\x01", "1", "é", "\x12\x02\x08\x05", "\x12\x00"]
    items = [
        (
            "".join(chance.choices(alphabet, k=chance.randint(1, 3))),
            "".join(chance.choices(alphabet, k=chance.randint(1, 4))),
        )
        for _ in range(chance.randint(1, 6))
    ]
    if chance.random() < 0.3:
        items = items[:1] * len(items)  # the same item throughout: every offset is a rotation of the bytes
    history = _row(items, "history", step=chance.choice([0, 5, 300, 70_000, 3_000_000, 1 << 40]))
    turn = chance.randrange(len(items))
    summary_items = items[turn:] + items[:turn]
    change = chance.random()
    if change < 0.2:
        chance.shuffle(summary_items)
    elif change < 0.3:
        summary_items[0] = (summary_items[0][0], summary_items[0][1] + "0")
    elif change < 0.4:
        summary_items = summary_items + summary_items[:1]
    summary = _row(summary_items, "summary")
    if chance.random() < 0.1:  # the step first, then the items
        body = pb.Record.FromString(history)
        step = pb.Record(num=7)
        step.history.step.num = 9
        history = bytes(step.SerializeToString()) + bytes(pb.Record(history=body.history).SerializeToString())
    found = list(wire.wandb_records([summary, history]))
    assert found == [wire.wandb_items(summary), wire.wandb_items(history)]
    assert all(f is None or f == schema_items(p) for f, p in zip(found, (summary, history)))


def test_a_summary_of_a_history_s_bytes_that_are_not_its_items_is_read_as_itself() -> None:
    """A history whose step comes first and whose last value ends like a step: the bytes before that
    ending are no run of its items, so a summary of exactly those bytes is read on its own."""
    items = pb.Record(num=7)
    item = items.history.item.add()
    item.nested_key.append("k")
    item.value_json = "1\x12\x02\x08\x05"
    body = b"\x12\x02\x08\x09" + bytes(items.history.SerializeToString())  # the step (9), then the item
    history = b"\x08\x07\x12" + bytes([len(body)]) + body
    body = body[:-4]
    summary = b"\x08\x07\x1a" + bytes([len(body)]) + body
    found = list(wire.wandb_records([summary, history]))
    assert found == [wire.wandb_items(summary), wire.wandb_items(history)]
    assert found[1] is not None and found[1] == schema_items(history)
