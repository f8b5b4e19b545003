"""The artifacts screen driven through Pilot: previews by type, huge files, safety, pager, compare, snapshots."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable

import store
from store import RunDetail
from tui.screens.artifacts import ArtifactsScreen
from tui.widgets.artifact_preview import ArtifactPreview
from tui.widgets.artifact_tree import ArtifactTree
from tui.widgets.document_tree import DocumentTree
from tui.widgets.lazy_text import LazyText

FIXED_MTIME = 1_700_000_000  # 2023-11-14 22:13 UTC

MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.11.4
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.3.0
mlflow_version: 2.8.0
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
"""


class WritesFile:
    """Unpickling this writes `path`: the proof that a preview never unpickles."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "unpickled!"))


def make_png(path: Path, size: tuple[int, int] = (48, 24)) -> None:
    from PIL import Image

    image = Image.new("RGB", size)
    for x in range(size[0]):
        for y in range(size[1]):
            image.putpixel((x, y), (x * 5 % 256, y * 10 % 256, 128 if (x // 8 + y // 8) % 2 else 32))
    image.save(path)


def write_run(root: Path, name: str, *, lr: float, extra: bool) -> RunDetail:
    src = root.parent / f"src-{name}"
    src.mkdir()
    with store.start_run(experiment="demo", name=name, root=root) as run:
        run.log_dict("config.yaml", {"lr": lr, "layers": [64, 32], "label": "[b]not bold[/b]"})
        run.log_text("weights.bin", "")
        (run.artifacts_dir / "weights.bin").write_bytes(bytes(range(256)) * (4 if extra else 5))
        if extra:
            run.log_dict("metrics.json", {"mse": 0.25, "per_class": {"cat": 0.1, "dog": 0.4}, "ok": True})
            run.log_text("notes.txt", "plain [bold red]x[/] markup\n\x1b[31mred?\x1b[0m and \x1b]0;title\x07\n")
            run.log_text("train.py", "def train(lr):\n    '''Fit.'''\n    return lr * 2  # doubled\n")
            run.log_text("preds.csv", "id,score,label\n" + "".join(f"{i},{i / 4},c{i % 3}\n" for i in range(250)))
            make_png(src / "plot.png")
            run.log_artifact(src / "plot.png")
            (src / "model").mkdir()
            (src / "model" / "MLmodel").write_text(MLMODEL)
            (src / "model" / "requirements.txt").write_text("mlflow==2.8.0\nscikit-learn==1.3.0\n")
            run.log_artifact(src / "model", "model")
            run.log_text("latin1.txt", "")
            (run.artifacts_dir / "latin1.txt").write_bytes(b"caf\xe9 au lait\nsecond line\n")
            run.log_text("only_here.txt", "just in this run\n")
            (run.artifacts_dir / "dangling.txt").symlink_to(run.artifacts_dir / "gone.txt")
            os.mkfifo(run.artifacts_dir / "pipe")
        else:
            (run.artifacts_dir / "only_here.txt").mkdir()
        run_id = run.id
    return store.open_store(root).run(run_id)


@pytest.fixture
def runs(tmp_path: Path) -> tuple[RunDetail, RunDetail]:
    root = tmp_path / "store"
    return write_run(root, "alpha", lr=0.1, extra=True), write_run(root, "beta", lr=0.2, extra=False)


class Harness(App[None]):
    def __init__(self, detail: RunDetail, other: RunDetail | None = None) -> None:
        super().__init__()
        self.detail, self.other = detail, other

    def on_mount(self) -> None:
        self.push_screen(ArtifactsScreen(self.detail, self.other))


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no worker runs, including workers started by what earlier workers delivered."""
    for _ in range(20):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            await pilot.pause()
            if not any(w.is_running for w in pilot.app.workers):
                return


async def select(pilot: Pilot[None], rel: str, *, root: int = 0) -> ArtifactPreview:
    """Move the tree cursor to `rel` (opening folders on the way) and press enter."""
    screen = pilot.app.screen
    assert isinstance(screen, ArtifactsScreen)
    tree = screen.query_one(ArtifactTree)
    await settle(pilot)
    node = tree.root.children[root]
    for part in rel.split("/"):
        if not node.is_expanded:
            node.expand()
            await settle(pilot)
        node = next(c for c in node.children if c.data and c.data.entry and c.data.entry.name == part)
    tree.focus()
    tree.move_cursor(node)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    return screen.query_one(ArtifactPreview)


def widget_text(widget: Widget) -> str:
    return "\n".join("".join(seg.text for seg in widget.render_line(y)) for y in range(widget.size.height))


def header_text(preview: ArtifactPreview) -> str:
    return str(preview.query_one("#preview-header").render())


@pytest.mark.parametrize(
    ("rel", "kind", "widget"),
    [
        ("notes.txt", "text", LazyText),
        ("train.py", "text", LazyText),
        ("config.yaml", "yaml", DocumentTree),
        ("metrics.json", "json", DocumentTree),
        ("preds.csv", "table", None),
        ("plot.png", "image", None),
        ("model", "mlmodel", None),
        ("model/MLmodel", "mlmodel", None),
        ("weights.bin", "unsafe", None),
        ("pipe", "error", None),
        ("dangling.txt", "error", None),
    ],
)
async def test_preview_kind_for_each_type(
    runs: tuple[RunDetail, RunDetail], rel: str, kind: str, widget: type[Widget] | None
) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, rel)
        assert preview.kind == kind
        if widget is not None:
            assert len(preview.query(widget)) == 1
        assert isinstance(app.screen, ArtifactsScreen)


async def test_previews_show_their_facts(runs: tuple[RunDetail, RunDetail]) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "preds.csv")
        assert "250 rows · 3 columns · first 200 rows shown" in header_text(preview)
        table = preview.query_one(".preview-table", DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["id int", "score float", "label str"]

        preview = await select(pilot, "plot.png")
        assert "PNG image" in header_text(preview) and "48×24 px" in header_text(preview)
        assert "▄" in widget_text(preview.query_one(".preview-image"))

        preview = await select(pilot, "model")
        shown = widget_text(preview.query_one(".preview-scroll Static"))
        assert "sklearn_version=1.3.0" in shown and "x: double" in shown and "scikit-learn==1.3.0" in shown

        preview = await select(pilot, "weights.bin")
        digest = hashlib.sha256(bytes(range(256)) * 4).hexdigest()
        facts = widget_text(preview.query_one(".preview-binary-facts"))
        assert f"sha256   {digest[:32]}" in facts and f"         {digest[32:]}" in facts  # too wide for one line
        assert "00000000  00 01 02 03" in widget_text(preview.query_one(".preview-hex"))

        preview = await select(pilot, "pipe")
        assert "FIFO" in preview.message
        preview = await select(pilot, "dangling.txt")
        assert "broken symlink" in preview.message and "gone.txt" in preview.message


@pytest.mark.parametrize(("size", "per_row"), [((160, 40), 16), ((120, 40), 8), ((80, 24), 4)])
async def test_hex_dump_rows_fit_the_pane(
    runs: tuple[RunDetail, RunDetail], size: tuple[int, int], per_row: int
) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=size) as pilot:
        preview = await select(pilot, "weights.bin")
        dump = preview.query_one(".preview-hex")
        lines = widget_text(dump).splitlines()
        assert len(lines) == 512 // per_row, "a wrapped row would add lines"
        assert lines[1].startswith(f"{per_row:08x}  {per_row:02x} ")
        assert all(line.rstrip().endswith("|") for line in lines)


async def test_small_csv_says_its_row_count_once(runs: tuple[RunDetail, RunDetail]) -> None:
    artifacts = runs[0].artifacts_dir
    assert artifacts is not None
    (artifacts / "small.csv").write_text("a,b,c\n" + "".join(f"{i},{i},x\n" for i in range(40)))
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "small.csv")
        header = header_text(preview)
        assert "· 40 rows · 3 columns ·" in header and header.count("rows") == 1


async def test_folder_hint_only_while_collapsed(runs: tuple[RunDetail, RunDetail]) -> None:
    artifacts = runs[0].artifacts_dir
    assert artifacts is not None
    (artifacts / "eval").mkdir()
    (artifacts / "eval" / "scores.txt").write_text("0.9\n")
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "eval")  # enter opens the folder as it previews it
        hint = "expand it in the tree"
        assert preview.kind == "folder" and hint not in widget_text(preview.query_one(".preview-folder"))
        await pilot.press("space")  # closes it without a new preview
        await settle(pilot)
        assert hint in widget_text(preview.query_one(".preview-folder"))
        await pilot.press("enter")
        await settle(pilot)
        assert hint not in widget_text(preview.query_one(".preview-folder"))


async def test_first_node_is_highlighted_on_open(runs: tuple[RunDetail, RunDetail]) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(ArtifactTree)
        assert tree.cursor_line == 0 and tree.cursor_node is tree.root.children[0]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one(ArtifactPreview).kind == "folder"


async def test_tree_columns_line_up_between_folders_and_files(runs: tuple[RunDetail, RunDetail]) -> None:
    artifacts = runs[0].artifacts_dir
    assert artifacts is not None
    (artifacts / "eval").mkdir()
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rows = widget_text(app.screen.query_one(ArtifactTree)).splitlines()
        folder = next(r for r in rows if "eval/" in r)
        file = next(r for r in rows if "config.yaml" in r)
        date = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
        assert (m1 := date.search(folder)) and (m2 := date.search(file)) and m1.start() == m2.start()


async def test_json_tree_toggles_to_raw_text(runs: tuple[RunDetail, RunDetail]) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "metrics.json")
        assert "per_class: {2 keys}" in widget_text(preview.query_one(DocumentTree))
        await pilot.press("r")
        await settle(pilot)
        assert preview.kind == "json-raw"
        assert '"per_class": {' in "\n".join(preview.query_one(LazyText).visible_text())
        await pilot.press("r")
        await settle(pilot)
        assert preview.kind == "json"


async def test_markup_and_escape_codes_show_literally(runs: tuple[RunDetail, RunDetail]) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "notes.txt")
        shown = "\n".join(preview.query_one(LazyText).visible_text())
        assert "plain [bold red]x[/] markup" in shown
        assert "␛[31mred?␛[0m" in shown and "␛]0;title␇" in shown
        assert "\x1b" not in shown and "\x07" not in shown

        preview = await select(pilot, "config.yaml")
        assert '"[b]not bold[/b]"' in widget_text(preview.query_one(DocumentTree))


async def test_invalid_utf8_is_shown_with_replacement_characters_and_a_note(runs: tuple[RunDetail, RunDetail]) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "latin1.txt")
        assert preview.kind == "text"
        assert "not valid UTF-8" in header_text(preview)
        assert "caf\N{REPLACEMENT CHARACTER} au lait" in "\n".join(preview.query_one(LazyText).visible_text())


async def test_pickle_is_never_loaded(runs: tuple[RunDetail, RunDetail], tmp_path: Path) -> None:
    proof, marker = tmp_path / "payload-works.txt", tmp_path / "unpickled.txt"
    pickle.loads(pickle.dumps(WritesFile(proof)))
    assert proof.read_text() == "unpickled!"  # the payload is real: loading it writes a file
    artifacts = runs[0].artifacts_dir
    assert artifacts is not None
    payload = pickle.dumps(WritesFile(marker))
    (artifacts / "model.pkl").write_bytes(payload)
    (artifacts / "no_extension").write_bytes(payload)
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        for rel in ("model.pkl", "no_extension"):
            preview = await select(pilot, rel)
            assert preview.kind == "unsafe"
            assert "not loaded" in header_text(preview)
            assert "00000000  80" in widget_text(preview.query_one(".preview-hex"))
    assert not marker.exists()


def vm_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.fixture
def huge_text_run(tmp_path: Path) -> Iterator[RunDetail]:
    """A run whose artifacts hold a 500 MB log; the file is deleted afterwards."""
    artifacts = tmp_path / "huge-run" / "artifacts"
    artifacts.mkdir(parents=True)
    block = b"".join(
        b"%07d some repeated log text to fill the line up to eighty bytes....... ok\n" % i for i in range(13_107)
    )  # ~1 MB
    path = artifacts / "train.log"
    with open(path, "wb") as fh:
        for _ in range(500):
            fh.write(block)
        fh.write(b"THE LAST LINE of the huge log\n")
    yield RunDetail("huge", "demo", "huge", "finished", None, None, artifacts_dir=artifacts)
    path.unlink()


async def test_500_mb_text_opens_and_G_shows_the_last_line_with_flat_memory(huge_text_run: RunDetail) -> None:
    size = (huge_text_run.artifacts_dir / "train.log").stat().st_size  # type: ignore[operator]
    assert size > 500_000_000
    app = Harness(huge_text_run)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = vm_rss_kb()
        preview = await select(pilot, "train.log")
        assert preview.kind == "text"
        viewer = preview.query_one(LazyText)
        assert viewer.visible_text()[0].strip().startswith("1 │0000000 some repeated")
        await pilot.press("tab")
        assert app.focused is viewer
        await pilot.press("G")
        await settle(pilot)
        shown = viewer.visible_text()
        assert any("THE LAST LINE of the huge log" in line for line in shown)
        assert viewer.line_count == 500 * 13_107 + 1
        assert f"{viewer.line_count:,} lines" in header_text(preview)
        await pilot.press("g")
        await settle(pilot)
        assert viewer.visible_text()[0].strip().startswith("1 │")
        grown_mb = (vm_rss_kb() - before) / 1024
    assert grown_mb < 100, f"RSS grew {grown_mb:.0f} MB for a {size / 2**20:.0f} MB file"


@pytest.fixture
def fake_pager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    marker = tmp_path / "pager-ran.txt"
    script = tmp_path / "fake-pager"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{marker}"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PAGER", str(script))
    return marker


async def test_pager_runs_even_where_the_app_cannot_suspend(
    runs: tuple[RunDetail, RunDetail], fake_pager: Path
) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "train.py")
        tree = app.screen.query_one(ArtifactTree)
        line = tree.cursor_line
        await pilot.press("o")
        await settle(pilot)
        assert fake_pager.read_text() == str(runs[0].artifacts_dir / "train.py")  # type: ignore[operator]
        assert isinstance(app.screen, ArtifactsScreen)
        assert tree.cursor_line == line and preview.kind == "text"


async def test_pager_suspends_and_resumes_the_app(
    runs: tuple[RunDetail, RunDetail], fake_pager: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    events: list[str] = []

    @contextmanager
    def suspend() -> Iterator[None]:
        events.append("suspend")
        yield
        events.append(f"resume after pager wrote {fake_pager.exists()}")

    app = Harness(runs[0])
    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "notes.txt")
        await pilot.press("o")
        await settle(pilot)
        assert events == ["suspend", "resume after pager wrote True"]
        assert fake_pager.read_text().endswith("notes.txt")
        assert app.screen.query_one(ArtifactPreview).kind == "text"


async def test_editor_gets_a_read_only_copy_never_the_stored_file(
    runs: tuple[RunDetail, RunDetail], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9.5: `e` handed the stored file itself to $EDITOR, writable (also in MLflow stores)."""
    marker = tmp_path / "editor-got.txt"
    script = tmp_path / "fake-editor"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{marker}"\necho edited >> "$1" 2>/dev/null\nexit 0\n')
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    stored = runs[0].artifacts_dir / "train.py"  # type: ignore[operator]
    before = stored.read_bytes()
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "train.py")
        await pilot.press("e")
        await settle(pilot)
        got = Path(marker.read_text())
        assert got != stored and got.name == "train.py"
        assert os.path.commonpath([got, cast(Path, runs[0].artifacts_dir)]) != str(runs[0].artifacts_dir)
        assert got.stat().st_mode & 0o222 == 0
        assert stored.read_bytes() == before
        shown = [str(n.message) for n in app._notifications]
        assert any("read-only copy" in m for m in shown)
        await pilot.press("escape")
        await pilot.pause()
        assert not got.exists()
    assert stored.read_bytes() == before


async def test_compare_across_two_runs(runs: tuple[RunDetail, RunDetail]) -> None:
    app = Harness(*runs)
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "config.yaml")
        await pilot.press("d")
        await settle(pilot)
        assert preview.kind == "diff"
        shown = "\n".join(preview.query_one(LazyText).visible_text())
        assert "-lr: 0.1" in shown and "+lr: 0.2" in shown
        assert "~ lr: 0.1 → 0.2" in shown, "YAML compared by key first"

        await select(pilot, "weights.bin")
        await pilot.press("d")
        await settle(pilot)
        assert preview.kind == "compare" and "different (binary" in preview.message

        await select(pilot, "metrics.json")
        await pilot.press("d")
        await settle(pilot)
        assert preview.kind == "compare" and "beta" in preview.message
        assert "has no artifacts/metrics.json" in preview.message

        await select(pilot, "only_here.txt")
        await pilot.press("d")
        await settle(pilot)
        assert "folder" in preview.message


async def test_compare_key_is_hidden_with_one_run(runs: tuple[RunDetail, RunDetail]) -> None:
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "config.yaml")
        assert app.screen.check_action("compare", ()) is False
        await pilot.press("d")
        await settle(pilot)
        assert app.screen.query_one(ArtifactPreview).kind == "yaml"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ArtifactsScreen)


# -- snapshots -------------------------------------------------------------------------------------


@pytest.fixture
def snapshot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunDetail]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    root = tmp_path / "store"
    src = tmp_path / "src"
    src.mkdir()
    make_png(src / "plot.png", (64, 32))
    with store.start_run(experiment="demo", name="baseline", root=root) as run:
        run.log_text(
            "train.py",
            "import math\n\n\ndef loss(x: float) -> float:\n    '''Squared error.'''\n"
            "    return math.pow(x, 2)  # [bold]not markup[/]\n",
        )
        run.log_dict("config.yaml", {"lr": 0.01, "epochs": 20})
        run.log_artifact(src / "plot.png", "plots/plot.png")
        run_id = run.id
        artifacts = run.artifacts_dir
    for dirpath, dirnames, filenames in os.walk(artifacts):
        for name in [*dirnames, *filenames]:
            os.utime(os.path.join(dirpath, name), (FIXED_MTIME, FIXED_MTIME))
    detail = store.open_store(root).run(run_id)
    yield dataclasses.replace(detail, run_id="0001-baseline")
    time.tzset()


def _select_before(rel: str):
    async def run_before(pilot: Pilot[None]) -> None:
        await select(pilot, rel)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_text_preview(snap_compare: Any, snapshot_run: RunDetail, size: tuple[int, int]) -> None:
    assert snap_compare(Harness(snapshot_run), run_before=_select_before("train.py"), terminal_size=size)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_image_preview(snap_compare: Any, snapshot_run: RunDetail, size: tuple[int, int]) -> None:
    assert snap_compare(Harness(snapshot_run), run_before=_select_before("plots/plot.png"), terminal_size=size)


async def test_previews_replaced_in_bursts_never_collide(runs: tuple[RunDetail, RunDetail]) -> None:
    """Issue 9.4: `j`/`enter` and `d d j d` pressed without settling used to raise DuplicateIds
    ('preview-text', 'preview-diff') because a new body was mounted before the old one was removed.
    Three rounds because the race did not show every time; about 10 s, as Pilot lets the app go
    idle after each key of a burst (the handlers of one burst still interleave with removals)."""
    app = Harness(*runs)
    async with app.run_test(size=(120, 40)) as pilot:
        await select(pilot, "config.yaml")
        for _ in range(3):
            await pilot.press("d", "d", "j", "d", "k", "d", "d", "enter", "enter", "r", "r", "enter", "d")
        await settle(pilot)
        assert app.return_value is None and isinstance(app.screen, ArtifactsScreen)
        preview = app.screen.query_one(ArtifactPreview)
        assert preview.kind not in ("loading", "empty")
        assert len(preview.query_one("#preview-body").children) == 1


@pytest.fixture
def hostile_run(tmp_path: Path) -> RunDetail:
    root = tmp_path / "store"
    with store.start_run(experiment="demo", name="hostile", root=root) as run:
        run.log_text("big-int.yaml", "seed: 0x" + "f" * 20_000 + "\nok: 1\n")
        run.log_text("wide.csv", ",".join(f"c{i}" for i in range(200_000)) + "\n" + ",".join("1" * 200_000) + "\n")
        run.log_text("one-line.csv", "")
        with open(run.artifacts_dir / "one-line.csv", "w") as fh:
            fh.write("1," * 15_000_000)  # 30 MB, one line, no newline
        run_id = run.id
    return store.open_store(root).run(run_id)


async def test_yaml_with_a_huge_hex_int_shows_instead_of_crashing(hostile_run: RunDetail) -> None:
    """Issue 10.13: drawing a 20,000-digit int raised ValueError on the UI thread and ended the app."""
    app = Harness(hostile_run)
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "big-int.yaml")
        assert isinstance(app.screen, ArtifactsScreen) and preview.kind == "yaml"
        tree = preview.query_one(DocumentTree)
        labels = [str(node.label) for node in tree.root.children]
        assert any("digits" in label for label in labels) and "ok: 1" in labels


async def test_csv_with_200000_columns_or_a_30_mb_line_is_bounded(hostile_run: RunDetail) -> None:
    """Issue 10.13: a CSV whose first line had 200,000 columns froze the UI for 85 s (every column
    became a DataTable column); a 100 MB line was parsed whole. Both are cut and say so."""
    from textual.widgets import DataTable

    from tui.artifacts.table_sample import MAX_COLUMNS

    app = Harness(hostile_run)
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "wide.csv")
        assert preview.kind == "table"
        assert len(preview.query_one(DataTable).columns) == MAX_COLUMNS
        assert "200,000 columns: the first 200 shown" in header_text(preview)
        preview = await select(pilot, "one-line.csv")
        assert preview.kind == "table"
        assert len(preview.query_one(DataTable).columns) == MAX_COLUMNS
        assert "longer than" in header_text(preview) and "0 rows" in header_text(preview)


async def test_an_exception_while_drawing_a_document_shows_in_the_pane(
    runs: tuple[RunDetail, RunDetail], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10.13: a failure inside a preview widget's own handlers (not only in the loading worker)
    is shown where the value would be; the app keeps running."""
    import tui.widgets.document_tree as document_tree

    real = document_tree._scalar

    def fragile(value: object) -> tuple[str, str]:
        if value == 0.1:
            raise RuntimeError("a preview bug")
        return real(value)

    monkeypatch.setattr(document_tree, "_scalar", fragile)
    app = Harness(runs[0])
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "config.yaml")
        assert isinstance(app.screen, ArtifactsScreen) and preview.kind == "yaml"
        labels = [str(node.label) for node in preview.query_one(DocumentTree).root.children]
        assert any("RuntimeError: a preview bug" in label for label in labels)
        preview = await select(pilot, "notes.txt")
        assert preview.kind == "text"


async def test_footer_fits_80_columns_with_every_key_of_a_compare(runs: tuple[RunDetail, RunDetail]) -> None:
    """Issue 9.15: with two runs and a YAML file selected the footer ran past 80 columns and hid `?`."""
    app = Harness(*runs)
    async with app.run_test(size=(80, 24)) as pilot:
        await select(pilot, "config.yaml")
        footer = app.screen._compositor.render_strips()[-1].text
        for key in ("d Diff", "r Raw", "o Pager", "e Editor", "? Keys", "esc Back"):
            assert key in footer, footer


async def test_images_compare_side_by_side_at_one_scale(tmp_path: Path) -> None:
    """Issue 12: two runs' images next to each other, the smaller one drawn smaller."""
    root = tmp_path / "store"
    details = []
    for name, size in (("big", (96, 48)), ("small", (48, 24))):
        with store.start_run(experiment="img", name=name, root=root) as run:
            make_png(tmp_path / "plot.png", size)
            run.log_artifact(tmp_path / "plot.png")
            run_id = run.id
        details.append(store.open_store(root).run(run_id))
    app = Harness(*details)
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await select(pilot, "plot.png")
        await pilot.press("d")
        await settle(pilot)
        assert preview.kind == "compare-images"
        sides = list(preview.query(".preview-side"))
        assert len(sides) == 2 and sides[0].region.y == sides[1].region.y and sides[0].region.x < sides[1].region.x
        big, small = (side.query_one(".preview-image").region for side in sides)
        assert big.height > small.height > 0 and abs(big.height - 2 * small.height) <= 1, "one scale for both"
