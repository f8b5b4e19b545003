"""What an artifact preview will show, decided off the UI thread.

`plan_preview` stats the file, reads its first bytes and whatever small parsing its kind needs
(a JSON/YAML document, a table sample, an image scaled down, an MLmodel summary, a folder
count) and returns a plan: plain data the preview widget turns into a body. Nothing here
imports Textual or Rich; a cancelled worker is noticed through the `cancelled` callable.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .files import UnreadableArtifact, entry_for, open_regular, read_head
from .hex_dump import HEX_DUMP_BYTES
from .kinds import ArtifactKind, KindGuess, detect_kind, human_size
from .mlmodel import MLModelSummary, summarize_mlmodel
from .table_sample import TableSample, sample_delimited, sample_parquet

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
"""JSON/YAML bigger than this is shown as text only: parsing it whole would stall and bloat."""
MAX_IMAGE_PIXELS = 64_000_000
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when present: the pure-Python one takes seconds for a few MB."""
FOLDER_SCAN_LIMIT = 20_000


@dataclass
class Facts:
    path: Path
    title: str
    kind: str
    size: int | None = None
    mtime: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    facts: Facts


@dataclass
class ErrorPlan(Plan):
    message: str = ""


@dataclass
class TextPlan(Plan):
    language: str | None = None


@dataclass
class DocumentPlan(Plan):
    document: Any = None
    language: str = "json"


@dataclass
class TablePlan(Plan):
    sample: TableSample | None = None
    delimiter: str | None = None
    """Set for CSV/TSV (rows still to count); None for Parquet (count known)."""


@dataclass
class ImagePlan(Plan):
    image: Any = None
    """The first frame as an RGBA PIL image, already scaled to the cells it is drawn in."""
    fmt: str = ""
    pixels: tuple[int, int] = (0, 0)
    frames: int = 1


@dataclass
class MLModelPlan(Plan):
    summary: MLModelSummary | None = None


@dataclass
class BinaryPlan(Plan):
    head: bytes = b""


@dataclass
class FolderPlan(Plan):
    files: int = 0
    folders: int = 0
    total: int = 0
    partial: bool = False


def _read_text(path: Path, limit: int) -> str:
    with open_regular(path) as fh:
        return fh.read(limit).decode("utf-8", errors="replace")


def _mlmodel_plan(facts: Facts, folder: Path) -> MLModelPlan:
    facts.kind = "MLflow model"
    return MLModelPlan(facts, read_mlmodel(folder))


def read_mlmodel(folder: Path) -> MLModelSummary:
    """The summary of a model folder's `MLmodel` with its requirements (regular files only, bounded reads)."""
    mlmodel = _read_text(folder / "MLmodel", MAX_DOCUMENT_BYTES)
    requirements = conda = None
    if (folder / "requirements.txt").is_file():
        requirements = _read_text(folder / "requirements.txt", 256 * 1024)
    elif (folder / "conda.yaml").is_file():
        conda = _read_text(folder / "conda.yaml", 256 * 1024)
    return summarize_mlmodel(mlmodel, requirements_txt=requirements, conda_yaml=conda)


def _image_plan(facts: Facts, path: Path, guess: KindGuess, cells: tuple[int, int]) -> Plan:
    from PIL import Image, UnidentifiedImageError

    try:
        with open_regular(path) as fh, Image.open(fh) as image:
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            if width * height > MAX_IMAGE_PIXELS:
                facts.notes.append(f"{width}×{height} is too many pixels to draw")
                return BinaryPlan(facts, head=b"")
            image.seek(0)
            cols, rows = cells
            scale = min(cols / width, rows * 2 / height)
            target = (max(1, int(width * scale)), max(2, int(height * scale)))
            image.draft("RGB", target)
            frame = image.convert("RGBA")
            resample = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST
            frame = frame.resize(target, resample)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        facts.notes.append(f"cannot decode this {guess.note or 'image'}: {exc}")
        head, _ = read_head(path, HEX_DUMP_BYTES)
        return BinaryPlan(facts, head=head)
    facts.kind = f"{guess.note} image"
    return ImagePlan(facts, image=frame, fmt=guess.note, pixels=(width, height), frames=frames)


def _folder_plan(facts: Facts, folder: Path, cancelled: Callable[[], bool]) -> Plan:
    if (folder / "MLmodel").is_file():
        return _mlmodel_plan(facts, folder)
    files = folders = total = 0
    partial = False
    for _, dirnames, filenames in os.walk(folder):
        folders += len(dirnames)
        for name in filenames:
            files += 1
            try:
                total += os.lstat(os.path.join(_, name)).st_size
            except OSError:
                pass
        if files + folders > FOLDER_SCAN_LIMIT or cancelled():
            partial = True
            break
    facts.kind = "folder"
    return FolderPlan(facts, files=files, folders=folders, total=total, partial=partial)


def plan_preview(  # noqa: C901 - one ladder of file kinds
    path: Path,
    name: str,
    title: str,
    cells: tuple[int, int],
    cancelled: Callable[[], bool] = lambda: False,
) -> Plan:
    """Look at the artifact at `path` (`name` as listed, `title` for the header) and decide what
    to show in `cells` (columns, rows). Blocks on disk: call from a worker, which passes its
    `cancelled` so a long folder walk stops when the user has moved on."""
    entry = entry_for(path, name)
    facts = Facts(path, title, "file", entry.size, entry.mtime)
    if entry.link_target is not None:
        facts.notes.append(f"symlink to {entry.link_target}")
    if entry.problem:
        facts.kind = "unreadable"
        return ErrorPlan(facts, message=entry.problem)
    if entry.is_dir:
        return _folder_plan(facts, path, cancelled)
    try:
        head, st = read_head(path)
    except UnreadableArtifact as exc:
        facts.kind = "unreadable"
        return ErrorPlan(facts, message=str(exc))
    facts.size, facts.mtime = st.st_size, st.st_mtime
    guess = detect_kind(path.name, head, size=st.st_size)
    if guess.note and guess.kind is not ArtifactKind.IMAGE:
        facts.notes.append(guess.note)
    kind = guess.kind
    if kind in (ArtifactKind.JSON, ArtifactKind.YAML):
        facts.kind = kind.value.upper()
        if st.st_size > MAX_DOCUMENT_BYTES:
            facts.notes.append(f"over {human_size(MAX_DOCUMENT_BYTES)}: shown as text, not as a tree")
            return TextPlan(facts, language=guess.language)
        text = _read_text(path, MAX_DOCUMENT_BYTES + 1)
        try:
            document = json.loads(text) if kind is ArtifactKind.JSON else yaml.load(text, Loader=YAML_LOADER)
        except (ValueError, RecursionError, yaml.YAMLError) as exc:
            first_line = (str(exc).splitlines() or [repr(exc)])[0]
            facts.notes.append(f"not valid {facts.kind} ({first_line}): shown as text")
            return TextPlan(facts, language=guess.language)
        return DocumentPlan(facts, document=document, language=guess.language or "json")
    if kind in (ArtifactKind.CSV, ArtifactKind.TSV):
        facts.kind = kind.value.upper()
        delimiter = "," if kind is ArtifactKind.CSV else "\t"
        with open_regular(path) as raw:
            with io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="") as fh:
                sample = sample_delimited(fh, delimiter)
        return TablePlan(facts, sample=sample, delimiter=delimiter)
    if kind is ArtifactKind.PARQUET:
        facts.kind = "Parquet"
        try:
            return TablePlan(facts, sample=sample_parquet(path))
        except ImportError:
            facts.notes.append("install pyarrow to see Parquet tables")
        except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError
            facts.notes.append(f"cannot read this Parquet file: {exc}")
        return BinaryPlan(facts, head=head[:HEX_DUMP_BYTES])
    if kind is ArtifactKind.IMAGE:
        return _image_plan(facts, path, guess, cells)
    if kind is ArtifactKind.MLMODEL:
        return _mlmodel_plan(facts, path.parent)
    if kind is ArtifactKind.TEXT:
        facts.kind = f"text ({guess.language})" if guess.language else "text"
        return TextPlan(facts, language=guess.language)
    facts.kind = "not loaded" if kind is ArtifactKind.UNSAFE else "binary"
    return BinaryPlan(facts, head=head[:HEX_DUMP_BYTES])


def image_pair(mine: Path, other: Path, cells: tuple[int, int]) -> tuple[Any, Any] | None:
    """Two images scaled by one factor, so they compare at the same scale, each fitting half of
    `cells` (columns, rows; two pixel rows a cell); None unless both decode as images."""
    from PIL import Image, UnidentifiedImageError

    frames = []
    try:
        for path in (mine, other):
            with open_regular(path) as fh, Image.open(fh) as image:
                if image.size[0] * image.size[1] > MAX_IMAGE_PIXELS:
                    return None
                image.seek(0)
                frames.append(image.convert("RGBA"))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, UnreadableArtifact):
        return None
    cols, rows = max(4, cells[0] // 2 - 1), max(2, cells[1])
    width, height = max(f.size[0] for f in frames), max(f.size[1] for f in frames)
    scale = min(cols / width, rows * 2 / height)
    resample = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST
    a, b = (f.resize((max(1, round(f.size[0] * scale)), max(2, round(f.size[1] * scale))), resample) for f in frames)
    return a, b
