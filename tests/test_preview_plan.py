"""`plan_preview` without an app: what a preview will show, decided from the file alone."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tui.artifacts.preview_plan import BinaryPlan, DocumentPlan, FolderPlan, ImagePlan, TextPlan, plan_preview


def plan(path: Path, cancelled: bool = False) -> object:
    return plan_preview(path, path.name, path.name, (40, 10), cancelled=lambda: cancelled)


def test_json_becomes_a_document_and_broken_json_text(tmp_path: Path) -> None:
    good, bad = tmp_path / "a.json", tmp_path / "b.json"
    good.write_text('{"lr": 0.1, "layers": [1, 2]}')
    bad.write_text('{"lr": ')
    document = plan(good)
    assert isinstance(document, DocumentPlan) and document.document == {"lr": 0.1, "layers": [1, 2]}
    text = plan(bad)
    assert isinstance(text, TextPlan) and any("not valid JSON" in n for n in text.facts.notes)


def test_image_is_scaled_to_the_cells_as_plain_pil(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (400, 200), (255, 0, 0)).save(path)
    result = plan(path)
    assert isinstance(result, ImagePlan) and result.pixels == (400, 200)
    assert result.image.size[0] <= 40 and result.image.size[1] <= 20


def test_folder_walk_stops_when_cancelled(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / "d" / f"sub{i}").mkdir(parents=True)
        (tmp_path / "d" / f"sub{i}" / "f.txt").write_text("x" * 10)
    whole = plan(tmp_path / "d")
    assert isinstance(whole, FolderPlan) and (whole.files, whole.total, whole.partial) == (3, 30, False)
    stopped = plan(tmp_path / "d", cancelled=True)
    assert isinstance(stopped, FolderPlan) and stopped.partial and stopped.files < 3


def test_pickles_are_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04\x95cos\nsystem\n")
    result = plan(path)
    assert isinstance(result, BinaryPlan) and result.facts.kind == "not loaded"
