"""The runs screen's workspace, driven with the Pilot while real writer processes keep logging.

Two child processes each log six metrics into one run and print to a captured console; the
app polls by hand (`app.poll()`, what the 2 s timer calls). Keys go in bursts, as users type.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app_helpers import burst, demo_app, screen_text, settle, table
from tests.live_writer import writer_process
from tui.app import TrackApp
from tui.widgets.workspace import Workspace

METRICS = ["loss", "acc", "val_loss", "val_acc", "lr", "epoch"]


@contextlib.contextmanager
def console_writers(root: Path, names: list[str]) -> Iterator[None]:
    """One process per name, each logging `METRICS` every 20 ms into its own run with its console
    kept, printing `<name> says <step>` now and then; the first samples system metrics every 0.2 s.
    SIGKILLed when the test ends."""
    with contextlib.ExitStack() as stack:
        for index, name in enumerate(names):
            ready = root / f".{name}.ready"
            code = f"""
                import time, pathlib, store
                run = store.start_run(experiment="watch", name={name!r}, root={str(root)!r}, flush_interval=0.05,
                                      capture_console=True,
                                      system_metrics_interval={0.2 if index == 0 else 0})
                for step in range(3):
                    for i, key in enumerate({METRICS!r}):
                        run.log_metric(key, 1.0 / (step + i + 1), step=step)
                print({name!r} + " says hello", flush=True)
                run.flush()
                pathlib.Path({str(ready)!r}).write_text("ok")
                step = 3
                while True:
                    for i, key in enumerate({METRICS!r}):
                        run.log_metric(key, 1.0 / (step + i + 1), step=step)
                    if step % 50 == 0:
                        print({name!r} + f" says {{step}}", flush=True)
                    step += 1
                    time.sleep(0.02)
            """
            stack.enter_context(writer_process(code, ready))
        yield


def workspace(app: TrackApp) -> Workspace:
    return app.screen.query_one(Workspace)


def run_id(app: TrackApp, name: str) -> str:
    frame = table(app).view.frame
    return str(frame.loc[frame["name"] == name, "run_id"].iloc[0])


def drawn_runs(app: TrackApp, metric: str) -> set[str]:
    """The runs `metric`'s chart draws (the charts of every page are drawn)."""
    data = workspace(app).grid.panes[metric].data
    assert data is not None
    return {c.run_id for c in data.curves}


async def poll(app: TrackApp, pilot: object) -> None:
    app.poll()
    await settle(pilot)  # type: ignore[arg-type]


async def move_to(app: TrackApp, pilot: object, name: str) -> None:
    """Put the table's cursor on the run called `name` with the arrow keys, pressed in one burst."""
    rows = [table(app).view.run_id_at(r) for r in range(table(app).view.row_count)]
    target, here = rows.index(run_id(app, name)), table(app).cursor_row
    keys = ["down"] * (target - here) if target > here else ["up"] * (here - target)
    await pilot.press(*keys)  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_workspace_follows_live_runs_the_cursor_and_marks_and_is_kept(demo: Path, size: tuple[int, int]) -> None:
    with console_writers(demo, ["watch-a", "watch-b"]):
        app = demo_app(demo)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            assert not workspace(app).display
            await pilot.press("W")
            await settle(pilot)
            ws = workspace(app)
            assert ws.display and table(app).size.width <= size[0] * 45 // 100
            running = {run_id(app, "watch-a"), run_id(app, "watch-b")}
            assert ws.runs is not None and set(ws.runs.run_ids) >= running and ws.runs.reason == "running"
            assert list(ws.grid.panes) == ["acc", "loss", "val_acc", "val_loss", "epoch", "lr"]
            if size == (80, 24):  # two charts a page: the title names them, > and < page
                assert "Charts [1-2 of 6]" in screen_text(app)
                await pilot.press("greater_than_sign")
                await settle(pilot)
                assert "Charts [3-4 of 6]" in screen_text(app)
                assert [m for m, p in ws.grid.panes.items() if p.display] == ["val_acc", "val_loss"]
                await pilot.press("less_than_sign", "less_than_sign")
                await settle(pilot)
                assert "Charts [5-6 of 6]" in screen_text(app)
            else:  # every chart fits: no page to name
                assert all(p.display for p in ws.grid.panes.values()) and "of 6]" not in screen_text(app)

            # live: the writers keep logging, a poll redraws with more points
            before = ws.draws
            points = max(c.points for p in ws.grid.panes.values() if p.data for c in p.data.curves)
            for _ in range(100):
                await poll(app, pilot)
                if (
                    ws.draws > before
                    and max(c.points for p in ws.grid.panes.values() if p.data for c in p.data.curves) > points
                ):
                    break
            else:
                pytest.fail("a poll never redrew the live charts with new points")
            for _ in range(100):  # the first writer's machine samples come to the system pane, not the grid
                if ws.system_grid.panes:
                    break
                await poll(app, pilot)
            assert ws.system_grid.panes and all(m.startswith("system/") for m in ws.system_grid.panes)
            assert not any(m.startswith("system/") for m in ws.grid.panes)

            # the console follows the run under the cursor
            await move_to(app, pilot, "watch-b")
            assert "Console · watch-b" in screen_text(app) and "watch-b says hello" in screen_text(app)
            await move_to(app, pilot, "watch-a")
            text = screen_text(app)
            assert "Console · watch-a" in text and "watch-a says hello" in text and "watch-b says" not in text
            assert ws.runs.cursor == run_id(app, "watch-a")

            # marking: the grid draws the marked runs (and the cursor's), at once
            await move_to(app, pilot, "degree-2")
            assert run_id(app, "degree-2") in drawn_runs(app, "mse")  # not running, but under the cursor
            assert running <= drawn_runs(app, "loss")
            await pilot.press("space", "space")  # degree-2 and the run below it, in one burst
            await settle(pilot)
            marked = list(table(app).marks)
            assert len(marked) == 2 and ws.runs.reason == "marked"
            assert set(marked) <= drawn_runs(app, "mse") and not running & set(ws.runs.run_ids)
            assert "loss" not in ws.grid.panes  # only the running runs logged it
            assert "No console kept" in screen_text(app)  # the demo runs kept none
            await pilot.press("u")
            await settle(pilot)
            assert ws.runs.reason == "running" and running <= drawn_runs(app, "loss")

            await pilot.press("K")  # the console pane hides, and that is kept with the workspace
            await settle(pilot)
            assert not app.screen.query_one("#ws-console").display
            await app.workers.wait_for_complete()

        again = demo_app(demo)  # the same store opens in the workspace, console hidden
        async with again.run_test(size=size) as pilot:
            await settle(pilot)
            assert workspace(again).display and not again.screen.query_one("#ws-console").display
            await pilot.resize_terminal(size[0] - 20, size[1])  # the table keeps to its share as the terminal shrinks
            await settle(pilot)
            assert table(again).size.width <= (size[0] - 20) * 45 // 100 + 1
            await pilot.press("K", "W")
            await settle(pilot)
            assert not workspace(again).display and table(again).size.width == size[0] - 20


async def test_the_image_pane_shows_the_cursors_newest_image_fitted_to_it(demo: Path) -> None:
    """Failed before: `I` decoded the image at a guessed size before the pane was laid out, and cut it."""
    from rich.console import Console
    from textual.widgets import Static

    from tui.widgets.media_pane import MediaPane

    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("W", "j", "j", "I")  # rf-wide logged confusion matrices per step
        await settle(pilot)
        assert str(app.screen.query_one("#ws-images-title", Static).content) == "Images · rf-wide"
        body = app.screen.query_one("#ws-image", MediaPane).query_one(".media-image", Static)
        lines = Console(width=200).render_lines(body.content, pad=False)  # type: ignore[arg-type]
        assert lines and len(lines) <= body.size.height
        assert max(sum(len(s.text) for s in line) for line in lines) <= body.size.width


async def test_the_image_pane_of_a_run_without_images_says_so_once(demo: Path) -> None:
    """Failed before: the pane's caption and its body both said "no images logged"."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W", "K", "Y", "I")  # rf-oom, on the first row, logged no image
        text = screen_text(app)
        assert "Images · rf-oom" in text
        assert text.count("no images logged") == 1, text


async def test_the_panes_below_the_charts_are_kept_apart(demo: Path) -> None:
    """Failed before: the console (and the images) began in the column after the system chart's
    last, so an x axis label ran into the console's line numbers (`1` + `25 │` read `125 │`)."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W", "I")
        screen = app.screen
        system, console, images = (screen.query_one(f"#ws-{name}") for name in ("system", "console", "images"))
        assert screen.query_one("#ws-console-body").region.x > system.region.right
        assert screen.query_one("#ws-image").region.x > console.region.right
        assert images.region.right <= screen.size.width


async def test_a_pane_shown_right_after_cursor_keys_shows_the_run_the_cursor_reached(demo: Path) -> None:
    """Failed before: `I` read the run the cursor was on when `I` came, before the cursor keys typed
    ahead of it had reached the workspace, and that read replaced the right one: the console and
    image panes stayed on rf-oom with the cursor on rf-wide."""
    from textual.widgets import Static

    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W")
        await burst(pilot, "j", "j", "I")
        assert table(app).current_run == run_id(app, "rf-wide")
        assert str(app.screen.query_one("#ws-images-title", Static).content) == "Images · rf-wide"
        assert str(app.screen.query_one("#ws-console-title", Static).content) == "Console · rf-wide"


async def test_a_chart_of_one_point_says_one_point(tmp_path: Path) -> None:
    """Failed before: a summary value's chart was titled `acc  1 points`."""
    import store

    with store.start_run(experiment="e", name="once", root=tmp_path / "s") as run:
        run.log_metric("acc", 0.5)
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W")
        text = screen_text(app)
        assert "acc  1 point" in text and "1 points" not in text


async def test_the_system_pane_draws_machine_metrics_against_the_clock(tmp_path: Path) -> None:
    """Failed before: the system pane drew them by step, which for a sampler counts its samples, so
    runs sampled at different rates did not line up; the charts screen draws them by the clock."""
    import store
    from tui.shaping.curves import axis_name

    with store.start_run(experiment="e", name="sampled", root=tmp_path / "s", system_metrics_interval=0) as run:
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("system/cpu_percent", 10.0 * step, step=step)
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W")
        ws = workspace(app)
        system, loss = ws.system_grid.panes["system/cpu_percent"].data, ws.grid.panes["loss"].data
        assert system is not None and loss is not None
        assert system.x_label == axis_name("wall") and loss.x_label == "step"
        # a title too long for the narrow pane ends in an ellipsis (failed before: a bare `x:` at the cut)
        title = ws.system_grid.panes["system/cpu_percent"].query_one(".metric-chart--title").render_line(0)
        assert title.text.rstrip().endswith(("…", "wall-clock time")), title.text


async def test_a_filter_draws_the_newest_runs_it_keeps(demo: Path) -> None:
    """Failed before: the newest runs drawn were those of the whole listing until the next listing
    came (never, on a quiet store): filtered to the degree runs, the grid drew rf-oom and three more
    rf runs out of view."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W", "slash", *"degree", "enter")
        shown = set(table(app).view.shown_ids())
        ws = workspace(app)
        assert len(shown) == 4 and ws.runs is not None and ws.runs.reason == "newest"
        assert set(ws.runs.run_ids) == shown
        assert all(ws.infos[r].name.startswith("degree") for r in ws.runs.run_ids)


async def test_the_narrowed_table_shows_the_sort_column(demo: Path) -> None:
    """Failed before: the cursor went to the sort column while the table was still wide, so it was
    not scrolled to; once narrowed beside the workspace, the table showed mse, not the degree sorted by.
    (At 80 columns status, name and degree do not fit in the table's 45 %.)"""
    from tests.app_helpers import move_to_column, table_lines

    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        move_to_column(app, "params.degree")
        await burst(pilot, "s", "W")
        assert table(app).view.sort_key == "params.degree"
        header = table_lines(app)[0]
        assert "degree" in header, header


async def test_at_80_columns_the_narrowed_table_shows_status_names_told_apart_and_the_sort_values(
    tmp_path: Path,
) -> None:
    """Failed before: at 80x24 beside the workspace, a multi-store table kept status and source and
    showed the name's first 3 letters (`dis`, `dis`: runs not told apart), and the sort column was
    cut at the pane's edge with no `…` (`0.9` for 0.995)."""
    import store
    from tests.app_helpers import move_to_column, table_lines

    accuracy = {"lr1e-3": 0.995, "lr3e-4": 0.90252}
    for box in ("box1", "box2"):
        for lr, acc in accuracy.items():
            with store.start_run(experiment="e", name=f"distilbert-sst2-finetune-{lr}", root=tmp_path / box) as run:
                run.log_metric("accuracy", acc)
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        move_to_column(app, "metrics.accuracy")
        await burst(pilot, "s", "W")
        assert workspace(app).display and table(app).view.sort_key == "metrics.accuracy"
        lines = table_lines(app)
        assert "accura" in lines[0], lines[0]
        rows = [line for line in lines[1:] if line.strip()]
        assert len(rows) == 4, lines
        for line in rows:
            assert line.lstrip().startswith("✓"), line
            lr = next(lr for lr in accuracy if lr in line)  # the name's telling end is shown
            assert line.rstrip().endswith(f"{accuracy[lr]:g}"), line
            assert "disti" in line and "…" in line, line  # cut in the middle, not at the end


async def test_the_workspace_of_an_empty_store_says_what_to_do_and_fills_in_as_a_run_starts(tmp_path: Path) -> None:
    """Failed before: `W` on a store with no runs squeezed the welcome (its code wrapped mid-word) into
    a 20-column pane beside a blank `Charts · no runs`."""
    from store.ours.reader import TrackStore
    from tests.live_writer import live_writer

    root = tmp_path / "fresh"
    root.mkdir()
    app = demo_app(root, store=TrackStore(root))  # an empty folder, as `tracktui DIR` opens it
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W")
        text = screen_text(app)
        assert "No runs yet" in text and "tracktui run" in text, text
        assert not app.screen.query_one("#table-pane").display, "no half-width welcome beside it"
        assert not workspace(app).query_one("#ws-bottom").display
        with live_writer(root):
            await poll(app, pilot)
            await poll(app, pilot)
            ws = workspace(app)
            assert app.screen.query_one("#table-pane").display and table(app).view.row_count == 1
            assert ws.runs is not None and "loss" in ws.grid.panes
            assert "No runs yet" not in screen_text(app) and "live-0" in screen_text(app)


def chart_lines(app: TrackApp, metric: str, system: bool = False) -> list[str]:
    """The lines of `metric`'s chart in the workspace, as drawn."""
    from tui.widgets.braille_chart import BrailleChart

    ws = workspace(app)
    chart = (ws.system_grid if system else ws.grid).panes[metric].query_one(BrailleChart)
    return [chart.render_line(y).text.rstrip() for y in range(chart.size.height)]


async def test_a_one_point_chart_shows_its_step_and_its_value(tmp_path: Path) -> None:
    """Failed before: a summary value (one point, at step 0) was drawn on an x axis of ticks -1 0 1,
    inventing a step before the first, and read against round y ticks around it, never its own."""
    import store

    with store.start_run(experiment="e", name="once", root=tmp_path / "s") as run:
        run.log_metric("best_val_acc", 0.9137, step=0)
        for step in range(3):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W")
        lines = chart_lines(app, "best_val_acc")
        labels = lines[-1].split()
        assert labels[0] == "0" and "-1" not in labels and "1" not in labels, lines
        assert any(line.lstrip().startswith("0.9137 ┤") for line in lines), lines


async def test_clock_ticks_of_a_short_system_chart_are_distinct(tmp_path: Path) -> None:
    """Failed before: four evenly spread ticks over 2.5 s of samples read 10:13:20 twice."""
    import store

    with store.start_run(experiment="e", name="sampled", root=tmp_path / "s", system_metrics_interval=0) as run:
        run.log_metric("loss", 1.0, step=0)
        for i in range(6):
            run.log_metric("system/cpu_percent", 10.0 * i, step=i, timestamp=1_795_000_000.0 + 0.5 * i)
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W")
        data = workspace(app).system_grid.panes["system/cpu_percent"].data
        assert data is not None and data.xticks is not None
        assert len(set(data.xticks[1])) == len(data.xticks[1]) >= 2, data.xticks
        shown = [word for word in chart_lines(app, "system/cpu_percent", system=True)[-1].split() if ":" in word]
        assert shown and len(set(shown)) == len(shown), shown


async def test_runs_without_system_metrics_say_so_in_one_line_and_the_console_gets_the_room(demo: Path) -> None:
    """Failed before: the system pane of runs with no `system/…` metrics was a 16-column blank box
    titled `System · none` beside the console."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "W")
        ws = workspace(app)
        assert "no system metrics logged" in screen_text(app)
        note, bottom = ws.query_one("#ws-system-none"), ws.query_one("#ws-bottom")
        assert note.region.height == 1 and not ws.query_one("#ws-system").display
        assert ws.query_one("#ws-console").region.width >= bottom.region.width - 1
        await burst(pilot, "K")  # the console hidden too: the note alone, one line
        assert bottom.display and bottom.region.height == 1 and "no system metrics logged" in screen_text(app)
        await burst(pilot, "Y")  # and the system pane hidden: nothing below the charts
        assert not bottom.display


async def test_a_restored_sort_is_the_narrowed_tables_third_column(demo: Path) -> None:
    """Failed before: opened again with the workspace shown and the last view sorted by accuracy,
    the table narrowed before the restored sort came back from the worker, and kept status and name only."""
    from tests.app_helpers import NOW, move_to_column, table_lines
    from tui.app import make_app

    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        move_to_column(app, "metrics.accuracy")
        await burst(pilot, "s", "W")
        assert "accuracy" in table_lines(app)[0]
    again = make_app(demo, clock=lambda: NOW)  # as the command line opens it: its own poll timer
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert workspace(again).display and table(again).view.sort_key == "metrics.accuracy"
        assert "accuracy" in table_lines(again)[0], table_lines(again)[0]
