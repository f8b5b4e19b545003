"""Artifacts compared as data: JSON/YAML by key, CSV/TSV by cell, folders by file."""

from __future__ import annotations

from pathlib import Path

from tui.artifacts.data_diff import document_changes, flatten, folder_changes, table_changes
from tui.artifacts.files import compare_artifacts


def test_documents_compare_by_path_whatever_the_key_order() -> None:
    mine = {"optim": {"lr": 0.1, "name": "sgd"}, "layers": [64, 32], "seed": 1}
    other = {"seed": 1, "layers": [64, 16, 8], "optim": {"name": "sgd", "lr": 0.01}, "new": True}
    assert dict(flatten({"a": {"b": [1, {}]}})) == {"a.b[0]": 1, "a.b[1]": {}}
    assert document_changes(mine, other) == [
        "~ optim.lr: 0.1 → 0.01",
        "~ layers[1]: 32 → 16",
        "+ layers[2]: 8",
        "+ new: true",
    ]
    assert document_changes({"a": 1}, {"a": 1.0}) == ["~ a: 1 → 1.0"], "an int that became a float"
    assert document_changes({"a": 1}, {"a": 1}) == []
    assert len(document_changes({"k": list(range(2000))}, {}, limit=10)) == 11


def test_tables_compare_by_cell_column_and_row_count() -> None:
    mine = "id,score,label\n1,0.5,a\n2,0.7,b\n3,0.9,c\n"
    other = "id,label,score,extra\n1,a,0.5,x\n2,B,0.75,y\n"
    assert table_changes(mine, other, ",") == [
        "+ column extra",
        "~ row 2, score: '0.7' → '0.75'",
        "~ row 2, label: 'b' → 'B'",
        "- 1 row (3 rows in this run, 2 in the other)",
    ]


def test_folders_compare_by_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "plots").mkdir(parents=True)
    (b / "plots").mkdir(parents=True)
    (a / "plots" / "roc.png").write_bytes(b"1234")
    (a / "same.txt").write_text("x")
    (b / "same.txt").write_text("x")
    (a / "grown.txt").write_text("x")
    (b / "grown.txt").write_text("xx")
    (b / "new.csv").write_text("")
    assert folder_changes(a, b) == [
        "- only in this run: plots/roc.png",
        "+ only in the other run: new.csv",
        "~ grown.txt: 1 B → 2 B",
    ]
    result = compare_artifacts(a, b, label="out", mine_name="r1", other_name="r2")
    assert result.status == "different" and "3 files" in result.message and result.diff[1:] == folder_changes(a, b)


def test_json_artifacts_say_what_changed_as_data(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"lr": 0.1, "depth": 3}')
    (tmp_path / "b.json").write_text('{\n  "depth": 3,\n  "lr": 0.1\n}')
    same = compare_artifacts(tmp_path / "a.json", tmp_path / "b.json", label="c.json", mine_name="r1", other_name="r2")
    assert same.status == "different" and "same data, written differently" in same.message
    (tmp_path / "b.json").write_text('{"lr": 0.01, "depth": 3}')
    changed = compare_artifacts(
        tmp_path / "a.json", tmp_path / "b.json", label="c.json", mine_name="r1", other_name="r2"
    )
    assert "as data (1 change)" in changed.message and "~ lr: 0.1 → 0.01" in changed.diff
    assert "# as text" in changed.diff, "the text diff follows"
