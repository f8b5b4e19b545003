"""MediaScreen: images logged per step (`log_image`; MLflow's, W&B's and TensorBoard's too), one column per run,
scrubbed with the arrow keys.

A worker reads each run's media index once. The keys list picks what to show; `←`/`→`
walk the union of the runs' steps for that key, `home`/`end` jump to its ends. Every run
shows its image at that step or, lacking one, its nearest before (and says so). Images
are drawn with half-blocks (two pixels a cell, colour only: safe over SSH, nothing asked of
the terminal). Decoding and scaling run in a thread worker; the UI thread keeps the last
few decoded images in an `LRUCache`, so scrubbing back and forth is instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from rich_pixels import HalfcellRenderer, Pixels
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Horizontal, HorizontalScroll
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ..messages import ForwardsWorkerFailures
from ..shaping.media_steps import MediaIndex, Pick, caption, load_fitted, media_keys, pick, union_steps
from ..shaping.sanitize import printable_line
from ..widgets.media_pane import PANE_MIN_WIDTH, MediaPane

if TYPE_CHECKING:
    from store import RunStore

CACHE_SIZE = 48
"""Decoded images kept (per screen): a few steps of a few runs at the current size."""
KEYS_WIDTH = 22

CacheKey = tuple[str, int, int, int]
"""(path, mtime_ns, columns, rows): a rewritten step or a new pane size decodes again."""


@dataclass
class RunMedia:
    run_id: str
    name: str
    index: MediaIndex


class MediaIndexRead(Message):
    """The runs' media indexes, from the loading worker."""

    def __init__(self, runs: list[RunMedia], errors: list[str]) -> None:
        super().__init__()
        self.runs = runs
        self.errors = errors


class ImagesDecoded(Message):
    """Decoded images for one request; dropped when a newer request was made meanwhile."""

    def __init__(self, generation: int, images: dict[CacheKey, tuple[Any, str]]) -> None:
        super().__init__()
        self.generation = generation
        self.images = images
        """By cache key: (half-block renderable or None, error text)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ImagesDecoded)


def _cache_key(entry: tuple[int, Path], cells: tuple[int, int]) -> CacheKey:
    """An image taken out of another file (`MediaStep.source`) is named by its content: no stat needed."""
    path = entry[1]
    try:
        mtime = 0 if getattr(entry, "source", None) is not None else path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return (str(path), mtime, cells[0], cells[1])


class MediaScreen(ForwardsWorkerFailures, Screen[None]):
    """Images per step of one or more runs, side by side at the same step."""

    DEFAULT_CSS = f"""
    MediaScreen {{
        & > #media-title {{ height: 1; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }}
        & > #media-scrub {{ height: 1; padding: 0 1; background: $panel; color: $text-muted; }}
        & #media-body {{ height: 1fr; }}
        & #media-keys {{ width: {KEYS_WIDTH}; height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis; }}
        & #media-panes {{ width: 1fr; height: 1fr; }}
    }}
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left",
            "step(-1)",
            "Prev step",
            key_display="←",
            priority=True,
            id="media.previous",
            tooltip="The previous step at which any run has an image of this key",
        ),
        Binding(
            "right",
            "step(1)",
            "Next step",
            key_display="→",
            priority=True,
            id="media.next",
            tooltip="The next step at which any run has an image of this key",
        ),
        Binding(
            "home",
            "jump(0)",
            "First",
            show=False,
            priority=True,
            id="media.first",
            tooltip="The first step of this key",
        ),
        Binding(
            "end", "jump(-1)", "Last", show=False, priority=True, id="media.last", tooltip="The last step of this key"
        ),
        Binding(
            "right_square_bracket",
            "page(1)",
            "More runs",
            key_display="]",
            id="media.next_runs",
            tooltip="The next runs, when not all fit side by side",
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            "Previous runs",
            key_display="[",
            show=False,
            id="media.previous_runs",
            tooltip="The previous runs, when not all fit side by side",
        ),
        Binding(
            "r",
            "reload",
            "Reload",
            id="media.reload",
            tooltip="Read the runs' image lists again (a live run logs more steps)",
        ),
        Binding("question_mark", "app.help", "Keys", id="media.help", tooltip="Every key of this screen"),
        Binding("escape", "back", "Back", id="media.back", tooltip="Return to where you opened the images"),
    ]

    def __init__(
        self,
        store: RunStore,
        run_ids: list[str],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.run_ids = list(run_ids)
        self.runs: list[RunMedia] = []
        self.keys: list[str] = []
        self.key: str | None = None
        self.steps: list[int] = []
        self.position = 0
        self._cache: LRUCache[CacheKey, tuple[Any, str]] = LRUCache(CACHE_SIZE)
        self._generation = 0
        self.first = 0
        """The first run shown: the runs that fit side by side from here are shown, `[`/`]` page."""

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text(f" Images · {len(self.run_ids)} run{'s' * (len(self.run_ids) != 1)} …"), id="media-title")
        with Horizontal(id="media-body"):
            yield OptionList(id="media-keys")
            yield HorizontalScroll(id="media-panes", can_focus=False)
        yield Static(id="media-scrub")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#media-keys", OptionList).focus()
        self._load()

    @work(thread=True, exclusive=True, group="media-index", exit_on_error=False, description="Reading image lists")
    def _load(self) -> None:
        runs: list[RunMedia] = []
        errors: list[str] = []
        for run_id in self.run_ids:
            try:
                detail = self.store.run(run_id)
                runs.append(RunMedia(run_id, detail.name or run_id, detail.media()))
            except Exception as exc:  # a damaged or vanished run is one message, not a crash
                errors.append(f"{run_id}: {exc}")
        self.post_message(MediaIndexRead(runs, errors))

    @on(MediaIndexRead)
    async def _index_read(self, message: MediaIndexRead) -> None:
        self.runs = message.runs
        for error in message.errors:
            self.notify(printable_line(error), severity="error", timeout=6)
        panes = self.query_one("#media-panes", HorizontalScroll)
        if [pane.run_id for pane in self.query(MediaPane)] != [run.run_id for run in self.runs]:
            await panes.remove_children()
            await panes.mount_all(MediaPane(run.run_id, id=f"media-pane-{i}") for i, run in enumerate(self.runs))
        self._lay_out_page()
        self.keys = media_keys([run.index for run in self.runs])
        names = ", ".join(run.name for run in self.runs)
        self.query_one("#media-title", Static).update(Text(f" Images · {printable_line(names)}"))
        keys = self.query_one("#media-keys", OptionList)
        keys.clear_options()
        keys.add_options(
            [Option(Text(printable_line(key), no_wrap=True, overflow="ellipsis"), id=key) for key in self.keys]
        )
        if not self.keys:
            self.query_one("#media-scrub", Static).update(
                Text("No images: log some with run.log_image(key, image, step)")
            )
            for pane, run in zip(self.query(MediaPane), self.runs):
                pane.show(run.name, "", None, None, "no images")
            return
        key = self.key if self.key in self.keys else self.keys[0]
        self.key = None
        keys.highlighted = self.keys.index(key)
        self.call_after_refresh(self._choose_key, key)  # after layout: the panes' sizes decide the scale

    @on(OptionList.OptionHighlighted, "#media-keys")
    def _key_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id != self.key:
            self._choose_key(event.option.id)

    def _choose_key(self, key: str) -> None:
        """Show `key`, keeping the current step where the new key has it (else its nearest before)."""
        current = self.steps[self.position] if self.steps else None
        self.key = key
        self.steps = union_steps([run.index for run in self.runs], key)
        if current is None:
            self.position = len(self.steps) - 1
        else:
            before = [i for i, step in enumerate(self.steps) if step <= current]
            self.position = before[-1] if before else 0
        self._show()

    def on_resize(self, event: Resize) -> None:
        self._lay_out_page()
        if self.key is not None:
            self.call_after_refresh(self._show)

    def _page_size(self) -> int:
        """How many runs fit side by side at a readable width (`PANE_MIN_WIDTH` each)."""
        width = self.query_one("#media-panes").size.width
        return max(1, width // PANE_MIN_WIDTH) if width else max(1, len(self.runs))

    def _lay_out_page(self) -> None:
        """Show the runs from `first` that fit; the others wait for `[`/`]` (no key reached a scrolled-off run)."""
        panes = list(self.query(MediaPane))
        size = self._page_size()
        self.first = max(0, min(self.first, len(panes) - size))
        for i, pane in enumerate(panes):
            pane.display = self.first <= i < self.first + size
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`[`/`]` are in the footer only when some runs do not fit side by side."""
        if action == "page":
            return len(self.runs) > self._page_size()
        return True

    def action_page(self, delta: int) -> None:
        size = self._page_size()
        first = max(0, min(self.first + delta * size, len(self.runs) - size))
        if first != self.first:
            self.first = first
            self._lay_out_page()
            self.call_after_refresh(self._show)

    @property
    def shown_runs(self) -> tuple[int, int, int]:
        """(first, last, of): the runs on screen, counted from 1."""
        size = self._page_size()
        return self.first + 1, min(len(self.runs), self.first + size), len(self.runs)

    # -- scrubbing ----------------------------------------------------------------------------

    @property
    def step(self) -> int | None:
        """The step being shown (None before the index is read, or without images)."""
        return self.steps[self.position] if self.steps else None

    def action_step(self, delta: int) -> None:
        if self.steps:
            self.position = max(0, min(len(self.steps) - 1, self.position + delta))
            self._show()

    def action_jump(self, where: int) -> None:
        if self.steps:
            self.position = 0 if where == 0 else len(self.steps) - 1
            self._show()

    def action_reload(self) -> None:
        self._load()

    def action_back(self) -> None:
        self.dismiss()

    def _show(self) -> None:
        """Captions now; images from the cache now, the rest from a worker."""
        step = self.step
        if self.key is None or step is None:
            return
        self._update_scrub(step)
        self._generation += 1
        wanted: dict[CacheKey, tuple[tuple[int, Path], tuple[int, int]]] = {}
        for pane, run in zip(self.query(MediaPane), self.runs):
            if not pane.display:
                continue  # off this page: decoded when paged to, at its size then
            chosen = pick(run.index, self.key, step)
            self._fill(pane, run, step, chosen, wanted)
        if wanted:
            self._decode(self._generation, wanted)

    def _fill(
        self,
        pane: MediaPane,
        run: RunMedia,
        step: int,
        chosen: Pick,
        wanted: dict[CacheKey, tuple[tuple[int, Path], tuple[int, int]]],
    ) -> None:
        title, note = caption(run.name, step, chosen)
        if chosen.path is None or chosen.entry is None:
            pane.show(title, "", None, None, note)
            return
        cells = pane.image_cells()
        key = _cache_key(chosen.entry, cells)
        cached = self._cache.get(key)
        if cached is not None:
            image, error = cached
            pane.show(title, note, chosen.step, image, error)
        else:
            pane.show(title, note, chosen.step, None, "decoding…")
            wanted[key] = (chosen.entry, cells)

    def _update_scrub(self, step: int) -> None:
        line = Text()
        line.append("◀ " if self.position > 0 else "  ", style="bold")
        line.append(f"step {step}", style="bold")
        line.append(f" · {self.position + 1} of {len(self.steps)} · steps {self.steps[0]}–{self.steps[-1]}")
        line.append(" ▶" if self.position < len(self.steps) - 1 else "", style="bold")
        first, last, of = self.shown_runs
        if last - first + 1 < of:
            line.append(f" · runs {first}–{last} of {of} ([ ])")
        self.query_one("#media-scrub", Static).update(line)

    @work(thread=True, exclusive=True, group="media-decode", exit_on_error=False, description="Decoding images")
    def _decode(self, generation: int, wanted: dict[CacheKey, tuple[tuple[int, Path], tuple[int, int]]]) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        images: dict[CacheKey, tuple[Any, str]] = {}
        for key, (entry, (cols, rows)) in wanted.items():
            if worker.is_cancelled:
                return
            try:
                frame, _ = load_fitted(entry, cols, rows)
                images[key] = (Pixels.from_image(frame, renderer=HalfcellRenderer()), "")
            except (OSError, ValueError) as exc:
                images[key] = (None, f"cannot decode {entry[1].name}: {exc}")
        self.post_message(ImagesDecoded(generation, images))

    @on(ImagesDecoded)
    def _decoded(self, message: ImagesDecoded) -> None:
        for key, value in message.images.items():
            self._cache.set(key, value)
        if message.generation == self._generation:
            self._show()
