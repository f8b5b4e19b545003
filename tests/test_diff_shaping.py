"""Diff rows: sections, what differs, deltas, better/worse, best marks and the exports.

`make_compare_store` is also used by the diff screen and `tracktui diff` tests.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import store
from store.ours import atomic, layout
from tui.shaping.diff import (
    MISSING_VALUE,
    Duration,
    build_diff,
    cell_text,
    format_delta,
    format_exact,
    format_number,
    format_value,
    to_csv,
    to_dict,
    to_markdown,
)
from tui.shaping.direction import effective_direction, flip_direction, infer_direction

BASE_TIME = 1_700_000_000.0

RUNS: list[dict[str, Any]] = [
    {
        "name": "baseline",
        "params": {
            "model": {"type": "poly", "degree": 1},
            "optim": {"lr": 0.01, "name": "sgd"},
            "seed": 1,
            "note": "first try",
        },
        "tags": {"stage": "baseline"},
        "loss": [4.0, 3.0, 2.5, 2.0],
        "acc": [0.5, 0.6, 0.7, 0.7],
        "widgets": [3.0, 3.0, 3.0, 3.0],
        "status": "finished",
        "commit": "1111111aaaaaaa",
        "dirty": False,
    },
    {
        "name": "degree-2",
        "params": {
            "model": {"type": "poly", "degree": 2},
            "optim": {"lr": 0.01, "name": "sgd"},
            "seed": 1,
            "note": "first try",
        },
        "tags": {"stage": "tuned"},
        "loss": [4.0, 2.0, 1.0, 1.5],
        "acc": [0.5, 0.7, 0.8, 0.8],
        "widgets": [3.0, 3.0, 3.0, 3.0],
        "status": "finished",
        "commit": "2222222bbbbbbb",
        "dirty": True,
    },
    {
        "name": "[bold red]degree-3[/]",
        "params": {
            "model": {"type": "poly", "degree": 3, "extra": {"depth": 2}},
            "optim": {"lr": 0.1, "name": "sgd"},
            "seed": 1,
            "note": "first try",
        },
        "tags": {"stage": "tuned", "owner": "ana"},
        "loss": [5.0, 4.0, 3.0, 3.0],
        "acc": [0.4, 0.5, 0.6, 0.6],
        "widgets": [3.0, 3.0, 3.0, 3.0],
        "status": "failed",
        "commit": "3333333ccccccc",
        "dirty": False,
    },
]


def make_compare_store(root: Path, runs: list[dict[str, Any]] | None = None) -> list[str]:
    """A store with fixed contents and timestamps; returns the run ids in `RUNS` order.

    The writer records the host, command, git state and clock of the test process, so
    those are overwritten afterwards to keep snapshots the same on every machine.
    """
    ids = []
    for i, spec in enumerate(runs or RUNS):
        created = BASE_TIME + i * 3600
        run = store.start_run(experiment="poly", name=spec["name"], root=root, params=spec["params"], tags=spec["tags"])
        for step, (loss, acc, widgets) in enumerate(zip(spec["loss"], spec["acc"], spec["widgets"])):
            t = created + 10 * step
            run.log_metric("train/loss", loss, step=step, timestamp=t)
            run.log_metric("val_acc", acc, step=step, timestamp=t)
            run.log_metric("widgets", widgets, step=step, timestamp=t)
        run.finish(spec["status"], "Traceback: boom" if spec["status"] == "failed" else None)
        meta_path = run.path / layout.META
        meta = atomic.read_json(meta_path)
        meta.update(
            created=created,
            ended=created + 90 + 30 * i,
            host="gpu-1",
            user="ana",
            pid=1000,
            python="3.11.9",
            cwd="/work",
            command=["python", "train.py", f"--run={i}"],
            git={"commit": spec["commit"], "branch": "main", "dirty": spec["dirty"]},
        )
        atomic.atomic_write_json(meta_path, meta)
        ids.append(run.id)
    return ids


@pytest.fixture
def compare_store(tmp_path: Path) -> tuple[store.RunStore, list[str]]:
    ids = make_compare_store(tmp_path / "store")
    return store.open_store(tmp_path / "store"), ids


def test_sections_come_in_order_with_nested_params_flattened(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    diff = build_diff([st.run(i) for i in ids])
    sections = [r.section for r in diff.rows]
    assert sections == sorted(sections, key=["params", "metrics", "tags", "facts"].index)
    params = [r.field for r in diff.rows if r.section == "params"]
    assert params == ["model.degree", "model.extra.depth", "model.type", "note", "optim.lr", "optim.name", "seed"]
    depth = diff.row("params.model.extra.depth")
    assert depth.values[:2] == [MISSING_VALUE, MISSING_VALUE] and depth.values[2] == 2
    assert depth.differs and format_value(depth.values[0]) == "—"
    facts = [r.field for r in diff.rows if r.section == "facts"]
    assert {"status", "duration", "git commit", "host", "command"} <= set(facts)
    assert diff.row("facts.command").text(1) == "python train.py --run=1"
    assert diff.row("facts.duration").text(2) == "2m30s", "as the runs table shows durations"


def test_differs_flags(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    diff = build_diff([st.run(i) for i in ids])
    differs = {r.key: r.differs for r in diff.rows}
    assert differs["params.model.degree"] is True
    assert differs["params.seed"] is False
    assert differs["params.optim.lr"] is True
    assert differs["params.note"] is False
    assert differs["tags.owner"] is True
    assert differs["facts.host"] is False
    assert differs["facts.status"] is True
    assert differs["metrics.widgets.last"] is False
    assert {r.key for r in diff.visible(only_diff=True)} == {k for k, d in differs.items() if d}


def test_min_max_rows_only_where_they_differ_from_last(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    diff = build_diff([st.run(i) for i in ids])
    keys = [r.key for r in diff.rows if r.section == "metrics"]
    # loss: max (4, 4, 5) differs from last; min of degree-2 (1.0) differs from its last (1.5).
    # acc: last is the max in every run, min differs. widgets: constant, just one row.
    assert keys == [
        "metrics.train/loss.last",
        "metrics.train/loss.min",
        "metrics.train/loss.max",
        "metrics.val_acc.last",
        "metrics.val_acc.min",
        "metrics.widgets.last",
    ]


def test_deltas_better_worse_and_best(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    diff = build_diff([st.run(i) for i in ids])
    loss = diff.row("metrics.train/loss.last")
    assert loss.direction == "lower"
    assert loss.values == [2.0, 1.5, 3.0]
    assert loss.deltas == [None, -0.5, 1.0]
    assert loss.pct == [None, -25.0, 50.0]
    assert loss.better == [None, True, False]
    assert loss.best == [False, True, False]
    acc = diff.row("metrics.val_acc.last")
    assert acc.direction == "higher"
    assert acc.better[1] is True and acc.better[2] is False
    assert acc.best == [False, True, False]
    assert cell_text(loss, 1) == "1.5 -0.5 (-25.0%) ✓"
    assert cell_text(loss, 0) == "2"
    widgets = diff.row("metrics.widgets.last")
    assert widgets.direction is None and widgets.best == [False, False, False]


def test_flip_override_changes_direction_and_best(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    details = [st.run(i) for i in ids]
    overrides = {"train/loss": flip_direction("train/loss")}
    assert overrides["train/loss"] == "higher"
    loss = build_diff(details, overrides).row("metrics.train/loss.last")
    assert loss.better == [None, False, True]
    assert loss.best == [False, False, True]
    # An unguessable name cycles none -> lower -> higher -> none.
    seen = []
    cur: dict[str, Any] = {}
    for _ in range(3):
        cur["widgets"] = flip_direction("widgets", cur)
        seen.append(effective_direction("widgets", cur))
    assert seen == ["lower", "higher", None]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("loss", "lower"),
        ("train/loss", "lower"),
        ("val_loss", "lower"),
        ("valLoss", "lower"),
        ("error_rate", "lower"),
        ("test.mse", "lower"),
        ("rmse", "lower"),
        ("perplexity", "lower"),
        ("epoch_time", "lower"),
        ("latency_ms", "lower"),
        ("eval/ppl", "lower"),
        ("mae", "lower"),
        ("acc", "higher"),
        ("val/accuracy", "higher"),
        ("f1", "higher"),
        ("macro_f1", "higher"),
        ("auc", "higher"),
        ("precision", "higher"),
        ("recall@10", "higher"),
        ("r2", "higher"),
        ("bleu", "higher"),
        ("mAP", "higher"),
        ("map@50", "higher"),
        ("top1_acc", "higher"),
        ("samples_per_sec", "higher"),
        ("lr", None),
        ("epoch", None),
        ("grad_norm", None),
        ("widgets", None),
    ],
)
def test_infer_direction(name: str, expected: str | None) -> None:
    assert infer_direction(name) == expected


def test_zero_reference_has_delta_but_no_percent() -> None:
    from tui.shaping.diff import _metric_row

    row = _metric_row("loss", "last", "loss", [0.0, 0.5, math.nan], "lower")
    assert row.deltas == [None, 0.5, None]
    assert row.pct == [None, None, None]
    assert row.best == [True, False, False]


def test_number_formatting() -> None:
    assert format_number(3) == "3"
    assert format_number(0.1234567) == "0.12346", "as in the runs table"
    assert format_number(1234567.5) == "1.23e+06"
    assert format_number(float("nan")) == "nan"
    assert format_number(True) == "true"
    assert format_value(Duration(12.34)) == "12s", "durations look as in the runs table"
    assert format_value(Duration(3723)) == "1h02m"
    assert format_value([1, 2]) == "[1, 2]"


def test_exact_numbers_keep_every_digit() -> None:
    assert format_exact(0.76381442915732) == "0.76381442915732"
    assert format_exact(0.1 + 0.2) == "0.30000000000000004"
    assert format_exact(2.0) == "2" and format_exact(7) == "7" and format_exact(True) == "true"
    assert format_exact(1e300) == "1e+300" and format_exact(float("-inf")) == "-inf"
    assert float(format_exact(1 / 3)) == 1 / 3
    assert format_value(0.76381442915732) == "0.76381", "the screen stays short"
    assert format_value(0.76381442915732, exact=True) == "0.76381442915732"


def test_exports_carry_full_precision() -> None:
    from tui.shaping.diff import Diff, DiffRun, _metric_row, _plain_row

    diff = Diff(
        [DiffRun("a", "a", "e"), DiffRun("b", "b", "e")],
        [
            _plain_row("params", "lr", "params.lr", [0.00012345678901, 0.1]),
            _metric_row("acc", "last", "acc", [0.76381442915732, 0.8123456789], "higher"),
            _plain_row("facts", "duration", "facts.duration", [Duration(12.3456789), Duration(90.0)]),
        ],
    )
    rows = list(csv.reader(io.StringIO(to_csv(diff))))
    assert rows[1][3:] == ["0.00012345678901", "0.1"]
    assert rows[2][3:] == ["0.76381442915732", "0.8123456789"]
    assert rows[3][3:] == ["12.3456789", "90"], "durations in seconds, every digit"
    md = to_markdown(diff)
    assert "| lr | 0.00012345678901 | 0.1 |" in md
    assert "| acc | 0.76381442915732 | 0.8123456789 +0.04853124974268 (+6.4%) ✓ |" in md, (
        "the delta has the digits the values have (was +0.0485)"
    )
    assert "| duration | 12s | 1m30s |" in md
    data = json.loads(json.dumps(to_dict(diff)))
    assert data["rows"][1]["values"] == [0.76381442915732, 0.8123456789]
    assert data["rows"][2]["values"] == [12.3456789, 90.0]


def test_compact_delta_is_the_percentage() -> None:
    from tui.shaping.diff import _metric_row

    row = _metric_row("loss", "last", "loss", [2.0, 1.5, 3.0], "lower")
    assert format_delta(row, 1) == "-0.5 (-25.0%)"
    assert format_delta(row, 1, compact=True) == "-25.0%"
    zero = _metric_row("loss", "last", "loss", [0.0, 0.5], "lower")
    assert format_delta(zero, 1, compact=True) == "+0.5", "no percentage of 0: the difference"


def test_markdown_export(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    diff = build_diff([st.run(i) for i in ids])
    md = to_markdown(diff, only_diff=True)
    lines = md.splitlines()
    assert lines[0] == "| field | baseline | degree-2 | [bold red]degree-3[/] |"
    assert lines[1] == "|---|---|---|---|"
    assert "| **params** | | | |" in lines
    assert "| model.degree | 1 | 2 | 3 |" in lines
    assert "| train/loss | 2 | 1.5 -0.5 (-25.0%) ✓ | 3 +1 (+50.0%) |" in lines
    assert not any(line.startswith("| seed ") for line in lines)
    assert any(line.startswith("| seed ") for line in to_markdown(diff).splitlines())


def test_markdown_escapes_pipes_and_newlines() -> None:
    from tui.shaping.diff import Diff, DiffRun, _plain_row

    diff = Diff(
        [DiffRun("a", "a|b", "e"), DiffRun("b", "b", "e")],
        [_plain_row("tags", "note", "tags.note", ["x|y", "line1\nline2"])],
    )
    md = to_markdown(diff)
    assert "| field | a\\|b | b |" in md
    assert "| note | x\\|y | line1<br>line2 |" in md


def test_csv_export(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    diff = build_diff([st.run(i) for i in ids])
    rows = list(csv.reader(io.StringIO(to_csv(diff))))
    assert rows[0] == ["section", "field", "differs", "baseline", "degree-2", "[bold red]degree-3[/]"]
    by_field = {(r[0], r[1]): r for r in rows[1:]}
    assert by_field[("params", "model.extra.depth")] == ["params", "model.extra.depth", "yes", "", "", "2"]
    assert by_field[("metrics", "train/loss")][3:] == ["2", "1.5", "3"]
    assert by_field[("facts", "duration")][3:] == ["90", "120", "150"]
    assert by_field[("params", "seed")][2] == "no"


def test_dict_form_is_json(compare_store: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare_store
    diff = build_diff([st.run(i) for i in ids])
    data = json.loads(json.dumps(to_dict(diff), allow_nan=False))
    assert data["reference"] == ids[0]
    assert [r["name"] for r in data["runs"]] == ["baseline", "degree-2", "[bold red]degree-3[/]"]
    loss = next(r for r in data["rows"] if r["key"] == "metrics.train/loss.last")
    assert loss["direction"] == "lower" and loss["best"] == [False, True, False]
    assert loss["deltas"] == [None, -0.5, 1.0]
    depth = next(r for r in data["rows"] if r["key"] == "params.model.extra.depth")
    assert depth["values"] == [None, None, 2] and depth["present"] == [False, False, True]


def test_shaping_modules_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys, tui.shaping.diff, tui.shaping.downsample, tui.shaping.smoothing; "
        "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


HOSTILE = "\x1b]0;PWNED\x07\x1b]52;c;aGVsbG8=\x07\x1b[2J\x9b31m\u202e[red]x[/]"
"""A terminal title, a clipboard write, a screen clear, a C1 CSI, a bidi override, Rich markup."""
UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e")


def hostile_runs() -> list[dict[str, Any]]:
    """The first two runs, the second with escape codes in its name, a param and a tag."""
    runs = [dict(RUNS[0]), dict(RUNS[1])]
    runs[1]["name"] = HOSTILE + "evil"
    runs[1]["params"] = {**RUNS[1]["params"], "note": "line1\n" + HOSTILE}
    runs[1]["tags"] = {"stage": HOSTILE}
    return runs


def test_exports_show_escape_codes_as_symbols(tmp_path: Path) -> None:
    """Before: the Markdown and CSV (and so the clipboard) held the escape codes raw."""
    ids = make_compare_store(tmp_path / "store", hostile_runs())
    st = store.open_store(tmp_path / "store")
    diff = build_diff([st.run(i) for i in ids])
    md, table = to_markdown(diff), to_csv(diff)
    for text in (md, table):
        assert not any(ch in text for ch in UNSAFE), [ch for ch in UNSAFE if ch in text]
        assert "[red]x[/]" in text, "markup stays literal text"
    assert "| field | baseline | ␛]0;PWNED␇␛]52;c;aGVsbG8=␇␛[2J<U+009B>31m<U+202E>[red]x[/]evil |" in md
    assert "| note | first try | line1<br>␛]0;PWNED␇" in md
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0][4] == "␛]0;PWNED␇␛]52;c;aGVsbG8=␇␛[2J<U+009B>31m<U+202E>[red]x[/]evil"
    note = next(r for r in rows if r[1] == "note")
    assert note[4].startswith("line1\n␛]0;PWNED␇"), "line breaks are kept in CSV, quoted"
    assert to_dict(diff)["runs"][1]["name"] == HOSTILE + "evil", "the JSON form keeps the exact text"


def test_huge_values_are_compared_whole_and_shown_cut_with_their_size() -> None:
    """Before: every 20 MB value was formatted, wrapped and written whole (50 s in `tracktui diff`)."""
    from tui.shaping.diff import SHOWN_CHARS, Diff, DiffRun, _plain_row, bounded

    big = "x" * 20_000_000
    row = _plain_row("tags", "blob", "tags.blob", [big + "a", big + "b", big + "a"])
    assert row.differs, "the whole values decide, not the shown part"
    shown = row.text(1)
    assert shown == "x" * SHOWN_CHARS + "… (20,000,001 characters)"
    assert bounded(shown) == shown, "cutting twice changes nothing"
    assert bounded("short") == "short"
    diff = Diff([DiffRun("a", "a", "e"), DiffRun("b", "b", "e"), DiffRun("c", "c", "e")], [row])
    md = to_markdown(diff)
    assert len(md) < 3 * SHOWN_CHARS + 500 and md.count("(20,000,001 characters)") == 3
    assert len(to_csv(diff)) > 60_000_000, "CSV keeps every value whole"


def test_exact_deltas_have_the_values_digits_without_float_noise() -> None:
    from tui.shaping.diff import _metric_row

    row = _metric_row("acc", "last", "acc", [0.1, 0.3, 0.1 + 0.2, 2.0, 1e300, 5], "higher")
    assert format_delta(row, 1, exact=True) == "+0.2 (+200.0%)", "not +0.19999999999999998"
    assert format_delta(row, 2, exact=True) == "+0.20000000000000004 (+200.0%)"
    assert format_delta(row, 3, exact=True) == "+1.9 (+1900.0%)"
    assert format_delta(row, 4, exact=True).startswith("+1e+300")
    assert format_delta(row, 5, exact=True) == "+4.9 (+4900.0%)"
    assert format_delta(row, 1) == "+0.2 (+200.0%)" and format_delta(row, 0, exact=True) == ""
    assert cell_text(row, 1, exact=True) == "0.3 +0.2 (+200.0%)"


def test_csv_export_quotes_cells_a_spreadsheet_would_run() -> None:
    """Issue 21.12: a value or field starting with `=`, `+`, `-`, `@`, tab or CR was exported as
    is and ran as a formula; it now starts with `'`. A negative number stays a number."""
    from tui.shaping.diff import Diff, DiffRun, _plain_row

    diff = Diff(
        [DiffRun("a", "=cmd()", "e"), DiffRun("b", "b", "e")],
        [
            _plain_row("params", "=f", "params.=f", ["@SUM(A1)", "+1+1"]),
            _plain_row("params", "lr", "params.lr", [-0.5, "-1e-3"]),
            _plain_row("params", "t", "params.t", ["\tx", "\r=1"]),
        ],
    )
    rows = list(csv.reader(io.StringIO(to_csv(diff))))
    assert rows[0][3] == "'=cmd()"
    assert rows[1][1:] == ["'=f", "yes", "'@SUM(A1)", "'+1+1"]
    assert rows[2][3:] == ["-0.5", "-1e-3"], "numbers stay numbers"
    assert rows[3][3:] == ["␉x", "␍=1"], "a leading tab or CR shows as its symbol, which runs nothing"


def test_values_that_differ_but_look_the_same_show_their_exact_values() -> None:
    """Issue 22.12: the diff marked `2s` vs `2s` and `32` vs `32` as different and did not say
    why. Such a row now shows what tells the values apart: every digit of a number (`32` vs
    `32.0`, `0.123451` vs `0.123449`), a duration's exact seconds, text in quotes (`"32"`, as
    MLflow keeps params, vs the number `32`)."""
    from tui.shaping.diff import Diff, DiffRun, _plain_row

    rows = [
        _plain_row("params", "batch", "params.batch", [32, "32", 32.0]),
        _plain_row("facts", "duration", "facts.duration", [Duration(2.25), Duration(2.75)]),
        _plain_row("params", "lr", "params.lr", [0.123451, 0.123449]),
        _plain_row("params", "seed", "params.seed", [1, 2]),
        _plain_row("params", "same", "params.same", [3, 3.0]),
    ]
    diff = Diff([DiffRun(c, c, "e") for c in "abc"], rows)
    batch, duration, lr, seed, same = diff.rows
    assert batch.differs and [batch.text(i) for i in range(3)] == ["32", '"32"', "32.0"]
    assert duration.differs and [duration.text(i) for i in range(2)] == ["2.25s", "2.75s"]
    assert lr.differs and [lr.text(i) for i in range(2)] == ["0.123451", "0.123449"]
    assert [seed.text(i) for i in range(2)] == ["1", "2"], "values that look different stay as they are"
    assert not same.differs and [same.text(i) for i in range(2)] == ["3", "3"], "equal numbers are equal"
    assert cell_text(batch, 1, exact=True) == '"32"', "the Markdown export says it too"
