"""Plain functions behind the artifact screen: kind detection, hex dump, MLmodel summary, line index."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import pytest

from tui.artifacts.files import UnreadableArtifact, compare_artifacts, list_folder, open_regular, read_head
from tui.artifacts.hex_dump import bytes_per_row, hex_dump, row_width
from tui.artifacts.kinds import ArtifactKind, detect_kind, human_size
from tui.artifacts.line_index import LineIndex, build_index, index_file, read_lines
from tui.artifacts.mlmodel import summarize_mlmodel
from tui.artifacts.table_sample import count_delimited_rows, infer_column_type, sample_delimited
from tui.shaping.sanitize import printable_block, printable_line

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("notes.txt", b"hello\n", ArtifactKind.TEXT),
        ("train.py", b"import os\n", ArtifactKind.TEXT),
        ("metrics.json", b'{"a": 1}', ArtifactKind.JSON),
        ("config.yml", b"a: 1\n", ArtifactKind.YAML),
        ("preds.csv", b"a,b\n1,2\n", ArtifactKind.CSV),
        ("preds.tsv", b"a\tb\n1\t2\n", ArtifactKind.TSV),
        ("plot.png", PNG_HEAD, ArtifactKind.IMAGE),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", ArtifactKind.IMAGE),
        ("anim.gif", b"GIF89a\x01\x00", ArtifactKind.IMAGE),
        ("misnamed.txt", PNG_HEAD, ArtifactKind.IMAGE),
        ("table.parquet", b"PAR1\x15\x04", ArtifactKind.PARQUET),
        ("MLmodel", b"flavors: {}\n", ArtifactKind.MLMODEL),
        ("model.pkl", b"(lp0\nI1\na.", ArtifactKind.UNSAFE),
        ("model.joblib", b"\x80\x04\x95", ArtifactKind.UNSAFE),
        ("weights.pt", b"PK\x03\x04", ArtifactKind.UNSAFE),
        ("pytorch_model.bin", b"\x00\x01\x02", ArtifactKind.UNSAFE),
        ("no_extension", pickle.dumps({"a": 1}), ArtifactKind.UNSAFE),
        ("blob.dat", bytes(range(256)), ArtifactKind.BINARY),
        ("archive.zip", b"PK\x03\x04\x14\x00", ArtifactKind.BINARY),
        ("empty.txt", b"", ArtifactKind.TEXT),
    ],
)
def test_detect_kind(name: str, head: bytes, kind: ArtifactKind) -> None:
    assert detect_kind(name, head, size=len(head)).kind is kind


def test_unsafe_files_say_why_they_are_not_loaded() -> None:
    guess = detect_kind("model.pkl", b"\x80\x05", size=2)
    assert "not loaded" in guess.note and "run code" in guess.note


def test_invalid_utf8_text_is_text_with_a_note_but_a_cut_character_is_not_flagged() -> None:
    bad = detect_kind("log.txt", b"caf\xe9 ok\n", size=8)
    assert bad.kind is ArtifactKind.TEXT and "UTF-8" in bad.note
    euro = "€".encode()
    cut = detect_kind("log.txt", b"price " + euro[:2], size=100)
    assert cut.kind is ArtifactKind.TEXT and cut.note == ""


def test_artifact_lines_make_escape_codes_visible_and_keep_markup_text() -> None:
    assert printable_block("\x1b[31mred\x1b[0m") == "␛[31mred␛[0m"
    assert printable_block("[bold red]x[/]") == "[bold red]x[/]"
    assert printable_block("a\tb", tab_size=4) == "a   b"
    assert printable_block("x\x9by\u202ez") == "x<U+009B>y<U+202E>z"
    assert printable_line("bell\x07\nnext") == "bell␇ ⏎ next"


def test_human_size() -> None:
    assert [human_size(n) for n in (0, 1023, 1536, 5 * 1024**3)] == ["0 B", "1023 B", "1.5 KB", "5.0 GB"]


def test_hex_dump_layout_and_nonprintables() -> None:
    lines = hex_dump(b"\x89PNG\r\n\x1a\n" + b"ABCDEFGH" + b"\x1b[2J", offset=0)
    assert lines[0] == "00000000  89 50 4e 47 0d 0a 1a 0a  41 42 43 44 45 46 47 48  |.PNG....ABCDEFGH|"
    assert lines[1].startswith("00000010  1b 5b 32 4a")
    assert lines[1].endswith("|.[2J|")
    assert "\x1b" not in "".join(lines)
    assert hex_dump(b"") == []


def test_hex_dump_rows_fit_the_columns_they_are_given() -> None:
    data = bytes(range(64))
    for per_row in (16, 8, 4):
        assert {len(line) for line in hex_dump(data, width=per_row)} == {row_width(per_row)}
        assert hex_dump(data, width=per_row)[1].startswith(f"{per_row:08x}  {per_row:02x} ")
    assert [bytes_per_row(n) for n in (120, 78, 77, 46, 45, 20)] == [16, 16, 8, 8, 4, 4]


MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.11.4
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.3.0
mlflow_version: 2.8.0
model_uuid: 0f3c
run_id: abc123
signature:
  inputs: '[{"type": "double", "name": "x"}, {"type": "string", "name": "city", "required": false}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
utc_time_created: '2023-11-01 12:00:00.000000'
"""


def test_mlmodel_summary() -> None:
    summary = summarize_mlmodel(MLMODEL, requirements_txt="# pinned\nmlflow==2.8.0\nscikit-learn==1.3.0\n")
    assert set(summary.flavors) == {"python_function", "sklearn"}
    assert summary.flavors["sklearn"]["sklearn_version"] == "1.3.0"
    assert summary.flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    assert summary.inputs == ["x: double", "city: string (optional)"]
    assert summary.outputs == ["tensor float64 (-1,)"]
    assert summary.requirements == ["mlflow==2.8.0", "scikit-learn==1.3.0"]
    assert summary.facts["run id"] == "abc123"
    assert summary.problems == []


def test_mlmodel_summary_of_damaged_files_reports_problems() -> None:
    assert summarize_mlmodel("flavors: [unclosed").problems
    conda = "dependencies:\n  - python=3.11\n  - pip:\n    - mlflow==2.8\n"
    assert summarize_mlmodel("flavors: {}\n", conda_yaml=conda).requirements == ["python=3.11", "mlflow==2.8"]
    broken = summarize_mlmodel("signature:\n  inputs: '[not json'\nflavors: {}\n")
    assert any("not valid JSON" in p for p in broken.problems)


def _write_lines(path: Path, count: int, *, trailing_newline: bool = True) -> list[bytes]:
    lines = [f"line {i:06d} ".encode() + b"x" * (i % 50) for i in range(count)]
    path.write_bytes(b"\n".join(lines) + (b"\n" if trailing_newline else b""))
    return lines


@pytest.mark.parametrize("trailing", [True, False])
def test_line_index_reads_any_line_across_chunks(tmp_path: Path, trailing: bool) -> None:
    path = tmp_path / "log.txt"
    lines = _write_lines(path, 10_001, trailing_newline=trailing)
    index = index_file(path, chunk_bytes=4096)
    assert index.line_count == len(lines) and index.complete
    assert index.max_line_bytes == max(len(line) for line in lines)
    assert len(index.checkpoints) <= len(lines) // index.stride + 2
    with open(path, "rb") as fh:
        for start in (0, 1, 31, 32, 33, 5000, 9990):
            got = read_lines(fh, index, start, 12)
            assert [b for b, _ in got] == lines[start : start + 12]
        assert read_lines(fh, index, len(lines), 5) == []


def test_line_index_grows_incrementally_and_cuts_enormous_lines(tmp_path: Path) -> None:
    path = tmp_path / "huge-line.txt"
    path.write_bytes(b"short\r\n" + b"y" * 100_000 + b"\nafter\n")
    index = LineIndex()
    seen = []
    with open(path, "rb") as fh:
        for progress in build_index(fh, index, chunk_bytes=1000):
            seen.append(progress.line_count)
    assert seen[0] == 1 and seen[-1] == 3 and seen == sorted(seen)
    with open(path, "rb") as fh:
        got = read_lines(fh, index, 0, 3, max_bytes=10)
    assert got == [(b"short", 0), (b"y" * 10, 99_990), (b"after", 0)]


def test_table_sample_types_and_streaming_count() -> None:
    text = "id,score,ok,when,name\n" + "".join(f"{i},{i / 3:.3f},true,2024-01-0{i % 9 + 1},n{i}\n" for i in range(500))
    sample = sample_delimited(io.StringIO(text, newline=""), ",", max_rows=200)
    assert sample.columns == ["id", "score", "ok", "when", "name"]
    assert sample.types == ["int", "float", "bool", "date", "str"]
    assert len(sample.rows) == 200 and sample.more_rows
    counts = list(count_delimited_rows(io.StringIO(text, newline=""), ","))
    assert counts[-1] == (500, True)
    assert infer_column_type(["", " "]) == "empty"


def test_open_regular_refuses_fifo_dangling_symlink_and_folder(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "folder").mkdir()
    with pytest.raises(UnreadableArtifact, match="FIFO"):
        open_regular(fifo)
    with pytest.raises(UnreadableArtifact, match="broken symlink"):
        read_head(tmp_path / "dangling")
    with pytest.raises(UnreadableArtifact, match="folder"):
        open_regular(tmp_path / "folder")
    problems = {e.name: e.problem for e in list_folder(tmp_path)}
    assert "broken symlink" in (problems["dangling"] or "") and "FIFO" in (problems["pipe"] or "")
    assert problems["folder"] is None


def test_compare_artifacts(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "config.yaml").write_text("lr: 0.1\nlayers: 2\n")
    (b / "config.yaml").write_text("lr: 0.2\nlayers: 2\n")
    (a / "w.bin").write_bytes(b"\x00\x01")
    (b / "w.bin").write_bytes(b"\x00\x02\x03")
    text = compare_artifacts(a / "config.yaml", b / "config.yaml", label="config.yaml", mine_name="A", other_name="B")
    assert text.status == "different" and "-lr: 0.1" in text.diff and "+lr: 0.2" in text.diff
    binary = compare_artifacts(a / "w.bin", b / "w.bin", label="w.bin", mine_name="A", other_name="B")
    assert binary.status == "different" and binary.facts[0] == ("size", "2 B", "3 B") and not binary.diff
    (b / "w.bin").write_bytes(bytes(1536))
    assert compare_artifacts(a / "w.bin", b / "w.bin", label="w.bin", mine_name="A", other_name="B").facts[0] == (
        "size",
        "2 B",
        "1.5 KB (1,536 B)",
    )
    missing = compare_artifacts(a / "config.yaml", b / "nope.yaml", label="nope.yaml", mine_name="A", other_name="B")
    assert missing.status == "missing" and "B has no nope.yaml" in missing.message
    same = compare_artifacts(a / "config.yaml", a / "config.yaml", label="config.yaml", mine_name="A", other_name="A")
    assert same.status == "identical"


def test_symlink_chains_name_every_hop(tmp_path: Path) -> None:
    """Issue 10.16: a chain of links named only its first hop."""
    from tui.artifacts.files import entry_for

    (tmp_path / "real.txt").write_text("x")
    (tmp_path / "c").symlink_to("real.txt")
    (tmp_path / "b").symlink_to("c")
    (tmp_path / "a").symlink_to("b")
    assert entry_for(tmp_path / "a").link_target == "b → c → real.txt"
    (tmp_path / "broken2").symlink_to("gone.txt")
    (tmp_path / "broken1").symlink_to("broken2")
    broken = entry_for(tmp_path / "broken1")
    assert broken.problem == "broken symlink to broken2 → gone.txt (missing)"
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    loop = entry_for(tmp_path / "loop1")
    assert loop.problem is not None and "loop2 → loop1" in loop.problem and "(a loop)" in loop.problem
