"""Regenerate the SVG screenshots in this folder from the demo store.

    python screenshots/make_screenshots.py

Drives the real app headless with the Pilot (the same way the tests do) and saves each
screen with Textual's `save_screenshot`. The demo store is written with a fixed clock, so
the pictures only change when the screens do.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.pilot import Pilot  # noqa: E402

from tests.app_helpers import NOW, demo_app, demo_store, settle  # noqa: E402
from tui.demo import make_demo  # noqa: E402
from tui.demo_foreign import make_foreign_demo  # noqa: E402

Steps = Callable[[Pilot[None]], Awaitable[None]]


async def runs(pilot: Pilot[None]) -> None:
    await pilot.press("j", "space", "j", "j", "space")


async def filtered(pilot: Pilot[None]) -> None:
    await pilot.press("slash", *"mse < 5 and degree >= 2", "enter")


async def detail(pilot: Pilot[None]) -> None:
    await pilot.press("j", "j", "enter")
    await settle(pilot)


async def diff(pilot: Pilot[None]) -> None:
    await pilot.press("j", "j", "space", "space", "space", "c")
    await settle(pilot)


async def charts(pilot: Pilot[None]) -> None:
    await pilot.press("j", "j", "space", "space", "space", "p")
    await settle(pilot)


async def artifacts(pilot: Pilot[None]) -> None:
    await pilot.press("j", "j", "a")
    await settle(pilot)
    await pilot.press("down", "down", "down", "enter")
    await settle(pilot)


async def media(pilot: Pilot[None]) -> None:
    await pilot.press("j", "j", "space", "space", "i")  # rf-wide and rf-shallow (space moves down)
    await settle(pilot)
    await pilot.press("home", "right", "right", "right")
    await settle(pilot)


async def grid(pilot: Pilot[None]) -> None:
    await pilot.press("j", "j", *["space"] * 6, "p")  # six classifiers
    await settle(pilot)
    await pilot.press("c", "right", "right", "right", "right", "right", "h")  # two columns, a cursor, one highlighted
    await settle(pilot)


async def grouped(pilot: Pilot[None]) -> None:
    await pilot.press("O", *"experiment", "enter")
    await settle(pilot)


async def group_charts(pilot: Pilot[None]) -> None:
    await pilot.press("O", *"experiment", "enter")
    await settle(pilot)
    await pilot.press("g", "p")  # on the first group row: every group's mean in its min–max band
    await settle(pilot)


async def models(pilot: Pilot[None]) -> None:
    await pilot.press("L")  # the models view: models, their versions, aliases and the source runs' metrics
    await settle(pilot)
    await pilot.press("j", "j")
    await settle(pilot)


def register_demo_models(root: Path) -> None:
    """A registry on a copy of the demo store, made through the public API as a user's script would."""
    import store

    frame = store.open_store(root).runs_frame()
    ids = dict(zip(frame["name"], frame["run_id"]))
    store.register_model(
        "iris-rf",
        run=ids["rf-baseline"],
        path="model.pkl",
        root=root,
        description="random forest on iris",
        tags={"owner": "ml"},
    )
    store.register_model("iris-rf", run=ids["rf-shallow"], path="model.pkl", root=root, alias="staging")
    store.register_model("iris-rf", run=ids["rf-deep"], path="model.pkl", root=root, alias="prod")
    store.register_model("iris-rf", run=ids["rf-wide"], path="model.pkl", root=root, alias="champion")


async def workspace(pilot: Pilot[None]) -> None:
    await pilot.press("W", "j", "j", "space", "space", "space")  # three classifiers; the cursor on a fourth
    await settle(pilot)


async def nothing(pilot: Pilot[None]) -> None:
    """The first screen as it opens."""


async def shoot(name: str, steps: Steps, size: tuple[int, int], store: str = "demo") -> None:
    # Each shot its own config folder: the app restores the last view of a store, and one
    # shot's filter must not carry into the next.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix=f"config-{name}-")
    app = demo_app(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await steps(pilot)
        await settle(pilot)
        app.save_screenshot(str(HERE / f"{name}.svg"))
        print(f"wrote screenshots/{name}.svg")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        demo_store(Path(tmp) / "demo")
        for name, steps in [
            ("runs", runs),
            ("filter", filtered),
            ("detail", detail),
            ("diff", diff),
            ("charts", charts),
            ("artifacts", artifacts),
            ("media", media),
        ]:
            await shoot(name, steps, (120, 36))
        await shoot("runs-80x24", nothing, (80, 24))  # the first screen of `tracktui demo`
        await shoot("grid", grid, (160, 48))
        await shoot("workspace-80x24", workspace, (80, 24))
        await shoot("workspace", workspace, (160, 48))
        await shoot("grouped", grouped, (120, 36))
        await shoot("group-charts", group_charts, (120, 36))
        demo_store(Path(tmp) / "models")
        register_demo_models(Path(tmp) / "models")
        await shoot("models", models, (120, 36), store="models")
        make_demo(Path(tmp) / "mixed" / "tracktui-store", now=NOW)  # the folder `tracktui demo` writes
        make_foreign_demo(Path(tmp) / "mixed", now=NOW)
        await shoot("mixed", nothing, (120, 36), store="mixed")


if __name__ == "__main__":
    asyncio.run(main())
