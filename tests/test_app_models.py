"""The models view, driven through the real app: our registry (built here through the real API) and
MLflow's (tests/data/mlflow_registry/, written by MLflow itself); the runs filter's `model`/`alias`."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import DataTable

import store
from store.ours.registry import VERSIONS_DIR, model_dir
from tests.app_helpers import burst, demo_app, screen_text, settle, shown_names
from tests.mlflow_fixtures import tree_snapshot
from tests.screen_harness import settle_until
from tui.app import TrackApp
from tui.screens.charts import ChartsScreen
from tui.screens.detail import DetailScreen
from tui.screens.diff import DiffScreen
from tui.screens.model_files import ModelFilesScreen
from tui.screens.models import ModelsScreen
from tui.screens.prompt import ConfirmScreen, PromptScreen
from tui.shaping.models_view import RegistryColumns

DATA = Path(__file__).resolve().parent / "data" / "mlflow_registry"


MLMODEL = """\
flavors:
  python_function: {{loader_module: mlflow.sklearn, python_version: 3.11.9}}
  sklearn: {{sklearn_version: {sklearn}, pickled_model: model.pkl}}
signature:
  inputs: '[{{"type": "double", "name": "tenure"}}]'
  outputs: '[{{"type": "long"}}]'
mlflow_version: 3.17.2
"""


def registry_store(root: Path, prefix: str = "") -> dict[str, str]:
    """Three finished runs with a `model/` artifact and a loss; churn v1 (run a), v2 (run b, alias prod,
    a tag, a description), fraud v1 (run c), their names after `prefix`. The run ids by name."""
    ids = {}
    for name, loss in (("run-a", 0.5), ("run-b", 0.25), ("run-c", 0.75)):
        src = root.parent / f"model-{name}"
        (src / "model").mkdir(parents=True)
        (src / "model" / "MLmodel").write_text(MLMODEL.format(sklearn="1.4.2" if name == "run-a" else "1.5.0"))
        (src / "model" / "requirements.txt").write_text(f"numpy==2.1\nscikit-learn=={loss}\n")
        with store.start_run("train", name=name, root=root, system_metrics_interval=0) as run:
            run.log_artifact(src / "model", "model")
            for step in range(3):
                run.log_metric("loss", loss + (2 - step) / 10, step=step)
        ids[name] = run.id
    store.register_model(f"{prefix}churn", run=ids["run-a"], root=root)
    store.register_model(
        f"{prefix}churn",
        run=ids["run-b"],
        root=root,
        alias="prod",
        tags={"team": "growth"},
        description="the better one",
    )
    store.register_model(f"{prefix}fraud", run=ids["run-c"], root=root)
    return ids


def mlflow_store(dest: Path) -> Path:
    with tarfile.open(DATA / "registry.tar.gz") as tf:
        tf.extractall(dest, filter="data")
    return dest / "file" / "mlruns"


def models_table(app: App[Any]) -> DataTable[object]:
    return app.screen.query_one("#models-table", DataTable)


def table_text(app: TrackApp) -> str:
    """The screen's table as drawn now (rendered from its state, not from the last frame painted)."""
    table = app.screen.query_one(DataTable)
    return "\n".join(table.render_line(y).text for y in range(table.scrollable_content_region.height))


def failures(app: TrackApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Something failed"]


def table_painted(screen: Screen[object]) -> bool:
    """The models view (or MLmodel screen) is up, read its data, and its table has laid out the rows
    (a DataTable measures new rows on idle: a screenshot before that shows an empty table)."""
    if isinstance(screen, ModelFilesScreen):
        table = screen.query_one(DataTable)
        return bool(screen.rows) and table.virtual_size.height > table.row_count
    if not isinstance(screen, ModelsScreen):
        return False  # the key that opens it has not been handled yet
    if not screen._loaded or not screen.rows:
        return screen._loaded
    table = models_table(screen.app)
    # Laid out, and its rows drawn as far as the screen shows them (under load a row's cells can come a
    # refresh after the size, and the later rows a refresh after the first: CI once saw only the first).
    last = min(len(screen.rows), table.scrollable_content_region.height - 1)
    return table.virtual_size.height > len(screen.rows) and all(
        table.render_line(y).text.strip() for y in range(1, last + 1)
    )


async def open_models(app: TrackApp, pilot) -> ModelsScreen:
    await settle(pilot)
    await pilot.press("L")
    await settle_until(app, pilot, table_painted)
    assert isinstance(app.screen, ModelsScreen)
    return app.screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_models_view_lists_models_versions_and_their_runs(tmp_path: Path, size: tuple[int, int]) -> None:
    registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=size) as pilot:
        screen = await open_models(app, pilot)
        assert [r.key for r in screen.rows] == ["m:churn", "v:churn/2", "v:churn/1", "m:fraud", "v:fraud/1"]
        assert "2 models · 3 versions" in screen_text(app)
        text = table_text(app)
        assert "churn" in text and "prod→2" in text
        if size[0] >= 120:
            assert "loss=0.25" in text and "team=growth · the better one" in text
        assert "finished" in text


async def test_j_j_enter_in_one_burst_opens_the_source_run_of_that_version(tmp_path: Path) -> None:
    ids = registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_models(app, pilot)
        await burst(pilot, "j", "j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.run_id == ids["run-a"]  # churn v1, the third row
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)


async def test_marked_versions_compare_and_chart_their_source_runs(tmp_path: Path) -> None:
    ids = registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_models(app, pilot)
        await burst(pilot, "j", "space", "space", "j", "j", "space")  # churn v2, churn v1, fraud v1
        await pilot.pause()
        assert list(screen.marks) == ["v:churn/2", "v:churn/1", "v:fraud/1"]
        assert "3 marked" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        assert app.screen.run_ids == [ids["run-b"], ids["run-a"], ids["run-c"]]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        assert app.screen.run_ids == [ids["run-b"], ids["run-a"], ids["run-c"]]


async def test_moving_prod_asks_first_and_the_view_and_runs_filter_follow(tmp_path: Path) -> None:
    ids = registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_models(app, pilot)
        await burst(pilot, "j", "j", "a")  # churn v1
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await burst(pilot, *"prod", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Move prod from v2 to v1 of churn?" in screen_text(app)
        await pilot.press("y")
        await settle_until(app, pilot, table_painted)
        assert failures(app) == []
        (churn, _) = store.open_store(tmp_path / "s").models()
        assert churn.aliases == {"prod": 1}
        assert "prod→1" in table_text(app) and screen.current is not None and screen.current.key == "v:churn/1"
        await pilot.press("escape")
        await pilot.press("slash")
        await burst(pilot, *"alias = prod", "enter")
        await settle(pilot)
        assert shown_names(app) == ["run-a"]
        assert ids


async def test_a_new_alias_needs_no_question_and_removing_one_deletes_it(tmp_path: Path) -> None:
    registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_models(app, pilot)
        await burst(pilot, "j", "a")  # churn v2, alias prod
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+u")
        await burst(pilot, *"staging", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        (churn, _) = store.open_store(tmp_path / "s").models()
        assert churn.aliases == {"staging": 2}


async def test_tags_and_description_of_a_version(tmp_path: Path) -> None:
    registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_models(app, pilot)
        await burst(pilot, "j", "j", "t")  # churn v1
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await burst(pilot, *"owner=me", "enter")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await burst(pilot, *"baseline")
        await pilot.press("ctrl+s")
        await settle_until(app, pilot, table_painted)
        assert failures(app) == []
        (churn, _) = store.open_store(tmp_path / "s").models()
        assert (churn.versions[0].tags, churn.versions[0].description) == ({"owner": "me"}, "baseline")
        assert "owner=me · baseline" in table_text(app)


async def test_removing_a_tag_of_a_version_in_the_models_view_deletes_it(tmp_path: Path) -> None:
    registry_store(tmp_path / "s")
    store.set_model_tags("churn", {"stage": "beta"}, 2, root=tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_models(app, pilot)
        await burst(pilot, "j", "t")  # churn v2 (newest first): team=growth stage=beta
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+u")  # clear the prompt, then keep only stage=beta
        await burst(pilot, *"stage=beta", "enter")
        await settle(pilot)
        await settle_until(
            app,
            pilot,
            lambda s: table_painted(s) and any(n.message == "Tags of churn v2 changed" for n in app._notifications),
        )
        assert failures(app) == []
        (churn, _) = store.open_store(tmp_path / "s").models()
        assert churn.versions[1].tags == {"stage": "beta"}
        assert "team=growth" not in table_text(app)


async def test_the_detail_names_the_runs_versions_and_l_shows_only_them(tmp_path: Path) -> None:
    ids = registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.runs_screen.table.cursor_row = app.runs_screen.view.row_of(ids["run-b"]) or 0
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "Models  churn/2 @prod" in screen_text(app)
        await pilot.press("L")
        await settle_until(app, pilot, table_painted)
        assert isinstance(app.screen, ModelsScreen)
        assert [r.key for r in app.screen.rows] == ["m:churn", "v:churn/2"]
        assert app.screen.current is not None and app.screen.current.key == "v:churn/2"
        assert "loss=0.25" in table_text(app)


async def test_runs_filter_by_model_alias_and_has_model(tmp_path: Path) -> None:
    registry_store(tmp_path / "s")
    with store.start_run("train", name="run-d", root=tmp_path / "s", system_metrics_interval=0) as run:
        run.log_metric("loss", 1.0)
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for text, names in (
            ("model = churn", ["run-b", "run-a"]),
            ("has:model", ["run-c", "run-b", "run-a"]),
            ("not has:model", ["run-d"]),
            ("alias = prod", ["run-b"]),
            ("model = fraud or alias = prod", ["run-c", "run-b"]),
        ):
            await pilot.press("slash", "ctrl+u")
            await burst(pilot, *text, "enter")
            await settle(pilot)
            assert shown_names(app) == names, text


async def test_an_mlflow_registry_is_shown_and_refuses_edits_with_one_line(tmp_path: Path) -> None:
    root = mlflow_store(tmp_path)
    before = tree_snapshot(root)
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_models(app, pilot)
        assert [r.key for r in screen.rows][:5] == ["m:churn", "v:churn/2", "v:churn/1", "m:fraud", "v:fraud/1"]
        assert [r.kind for r in screen.rows][5:] == ["logged", "logged"]
        await settle_until(app, pilot, lambda _: "champion" in table_text(app))  # loaded: CI saw the rows drawn late
        text = table_text(app)
        assert "champion→2 old→1 prod→2" in text and "Production" in text and "Archived" in text
        assert "(logged)" in text and "READY" in text
        await burst(pilot, "j", "a")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)  # no prompt: MLflow's store is read-only here
        (failure,) = failures(app)
        assert "read-only" in failure and "MLflow" in failure
        await burst(pilot, "j", "enter")  # churn v1 -> its source run
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
    assert tree_snapshot(root) == before


async def test_mlmodel_files_of_marked_versions_side_by_side(tmp_path: Path) -> None:
    registry_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_models(app, pilot)
        await burst(pilot, "j", "space", "space", "f")  # churn v2 and v1
        await settle_until(app, pilot, table_painted)
        assert isinstance(app.screen, ModelFilesScreen)
        differ = {name: values for name, values, differ in app.screen.rows if differ}
        assert differ == {
            "  sklearn": [
                "sklearn_version=1.5.0, pickled_model=model.pkl",
                "sklearn_version=1.4.2, pickled_model=model.pkl",
            ],
            "requires scikit-learn": ["scikit-learn==0.25", "scikit-learn==0.5"],
        }
        assert "2 of 8 rows differ" in screen_text(app) and "tenure: double" in table_text(app)
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.query_one(DataTable).row_count == 2


def test_snapshot_models_view_of_an_mlflow_registry(snap_compare, tmp_path: Path) -> None:
    """MLflow's registry (fixed times, written by MLflow itself) at 80x24, a version marked."""
    root = mlflow_store(tmp_path)

    async def ready(pilot) -> None:
        await open_models(pilot.app, pilot)
        await pilot.press("j", "space")
        await pilot.pause()

    assert snap_compare(demo_app(root), run_before=ready, terminal_size=(80, 24))


async def test_palette_opens_the_models_view_and_a_store_without_models_says_how_to_register(tmp_path: Path) -> None:
    with store.start_run("train", name="plain", root=tmp_path / "s", system_metrics_interval=0) as run:
        run.log_metric("loss", 1.0)
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"Models")
        await settle(pilot)
        await pilot.press("enter")
        await settle_until(app, pilot, table_painted)
        assert isinstance(app.screen, ModelsScreen)
        assert "No registered or logged models in this store" in screen_text(app)


async def test_a_damaged_version_is_one_row_and_the_others_still_show(tmp_path: Path) -> None:
    registry_store(tmp_path / "s")
    (version_file,) = (model_dir(tmp_path / "s", "fraud") / VERSIONS_DIR).glob("1-*.json")
    version_file.write_text("{not json")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_models(app, pilot)
        damaged = [r for r in screen.rows if "damaged" in r.cells]
        assert [r.key for r in damaged] == ["v:fraud/1"]
        assert [r.key for r in screen.rows if r.kind == "version"] == ["v:churn/2", "v:churn/1", "v:fraud/1"]
        assert failures(app) == []


def test_the_poll_reads_the_registry_every_few_seconds_and_at_once_after_an_edit(tmp_path: Path) -> None:
    ids = registry_store(tmp_path / "s")
    reader = store.open_store(tmp_path / "s")
    now = [0.0]
    columns = RegistryColumns(clock=lambda: now[0])
    frame = reader.runs_frame()
    assert columns.apply(reader, frame) is True
    assert dict(zip(frame["name"], frame["alias"])) == {"run-a": None, "run-b": "prod", "run-c": None}
    store.set_model_alias("fraud", "prod", 1, root=tmp_path / "s")
    now[0] = RegistryColumns.LOCAL_SECONDS - 0.1
    frame = reader.runs_frame()
    assert columns.apply(reader, frame) is False  # not read again yet
    assert frame.set_index("name").at["run-c", "alias"] is None
    now[0] = RegistryColumns.LOCAL_SECONDS
    frame = reader.runs_frame()
    assert columns.apply(reader, frame) is True
    assert frame.set_index("name").at["run-c", "alias"] == "prod"
    store.register_model("fraud", run=ids["run-a"], root=tmp_path / "s")
    columns.stale()
    frame = reader.runs_frame()
    assert columns.apply(reader, frame) is True
    assert frame.set_index("name").at["run-a", "model"] == "churn, fraud"
