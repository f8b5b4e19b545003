"""Images per step: checking what `log_image` is given, writing PNGs off the caller's thread, reading them back.

The training loop pays for validation and a copy of the pixels (so a buffer it reuses
cannot change what is saved); a single thread per run encodes the PNG and renames it into
place. At most `MAX_PENDING` images wait to be written: past that the caller waits, so a
loop logging faster than the disk writes is slowed by exactly the write, never by memory.
"""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from store.ours import atomic, layout

MAX_PENDING = 8
"""Images copied at the call and not yet written; the next call waits for one to finish."""
PNG_COMPRESS_LEVEL = 3
"""zlib level: about as small as the default (6) on real images, at a fraction of the time."""
MLFLOW_IMAGES_DIR = "images"
_MLFLOW_NAME = re.compile(r"^(?P<key>.+)%step%(?P<step>-?\d+)%timestamp%\d+%[^%]+\.png$")


class PendingImage:
    """What the writer thread turns into a PNG: a copied array, a copied PIL image, or a file's bytes."""

    __slots__ = ("data", "kind")

    def __init__(self, kind: str, data: Any) -> None:
        self.kind = kind
        self.data = data


def prepare(key: str, image: Any) -> PendingImage:
    """Check `image` and take a private copy of it, on the caller's thread; errors name `key`.

    Accepts a PIL image, a numpy array (HxW, HxWx1, HxWx3, HxWx4; uint8, or float in [0, 1])
    or a path to an image file (read now: the file may be gone by the time it is written).
    """
    if isinstance(image, (str, os.PathLike)):
        return _prepare_path(key, Path(image))
    module = type(image).__module__ or ""
    if module.startswith("PIL.") and hasattr(image, "save"):
        if image.width < 1 or image.height < 1:
            raise ValueError(f"image {key!r}: the image is empty ({image.width}×{image.height})")
        return PendingImage("pil", image.copy())
    import numpy as np

    if not isinstance(image, np.ndarray):
        raise TypeError(f"image {key!r}: expected a PIL image, a numpy array or a path, got {type(image).__name__}")
    return PendingImage("array", _checked_array(key, image))


def _checked_array(key: str, array: Any) -> Any:
    import numpy as np

    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ValueError(
            f"image {key!r}: an array of shape {array.shape} is not an image; "
            f"give HxW (grey), HxWx3 (RGB) or HxWx4 (RGBA)"
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"image {key!r}: the array is empty (shape {array.shape})")
    if array.dtype == np.uint8:
        return np.array(array, copy=True, order="C")
    if array.dtype.kind == "f":
        low, high = float(np.min(array)), float(np.max(array))
        if not (low >= 0.0 and high <= 1.0):  # also false for NaN
            raise ValueError(
                f"image {key!r}: float pixels must be in [0, 1], found {low:g} to {high:g}; scale them, or give uint8"
            )
        return np.array(array, copy=True, order="C")
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    raise TypeError(f"image {key!r}: pixels of dtype {array.dtype} are not supported; give uint8 or float in [0, 1]")


def _prepare_path(key: str, path: Path) -> PendingImage:
    from PIL import Image, UnidentifiedImageError

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"image {key!r}: cannot read {path} ({exc.strerror or exc})") from None
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"image {key!r}: {path} is not an image file Pillow can read ({exc})") from None
    return PendingImage("file", data)


def encode_png(pending: PendingImage) -> bytes:
    """The PNG bytes of a prepared image (on the writer thread)."""
    from PIL import Image

    if pending.kind == "file":
        if pending.data[:8] == b"\x89PNG\r\n\x1a\n":
            return bytes(pending.data)
        with Image.open(io.BytesIO(pending.data)) as opened:
            image = opened.copy()
    elif pending.kind == "pil":
        image = pending.data
    else:
        import numpy as np

        array = pending.data
        if array.dtype != np.uint8:
            array = np.rint(array * 255.0).astype(np.uint8)
        image = Image.fromarray(array)
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def write_png(path: Path, pending: PendingImage) -> None:
    """Encode and write under a temporary name, then rename: a kill never leaves a torn PNG at `path`."""
    data = encode_png(pending)
    fd, tmp = atomic.create_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class MediaWriter:
    """One run's image writer: a thread that writes prepared images, at most `MAX_PENDING` waiting."""

    def __init__(self, run_folder: Path, on_error: Callable[[BaseException, str], None]) -> None:
        self.folder = run_folder / layout.MEDIA_DIR
        self._on_error = on_error
        self._slots = threading.BoundedSemaphore(MAX_PENDING)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracktui-media")
        self._lock = threading.Lock()
        self._next_step: dict[str, int] = {}
        self.failed: list[str] = []
        """`key@step` of images that could not be written (a full disk)."""

    def next_step(self, key: str, step: int | None) -> int:
        """The step to use: `step`, else one past the greatest step of `key` (on disk too, after a resume)."""
        with self._lock:
            if key not in self._next_step:
                steps = [s for s, _ in _steps_in(self.folder / layout.media_dirname(key))]
                self._next_step[key] = max(steps) + 1 if steps else 0
            if step is None:
                step = self._next_step[key]
            self._next_step[key] = max(self._next_step[key], step + 1)
            return step

    def submit(self, key: str, step: int, pending: PendingImage) -> None:
        self._slots.acquire()
        try:
            self._pool.submit(self._write, key, step, pending)
        except BaseException:
            self._slots.release()
            raise

    def _write(self, key: str, step: int, pending: PendingImage) -> None:
        try:
            folder = self.folder / layout.media_dirname(key)
            folder.mkdir(parents=True, exist_ok=True)
            write_png(folder / f"{step}{layout.MEDIA_SUFFIX}", pending)
        except Exception as exc:  # noqa: BLE001 - a full disk must not kill the training loop
            self.failed.append(f"{key}@{step}")
            self._on_error(exc, f"image {key!r} step {step} was not saved")
        finally:
            self._slots.release()

    def drain(self) -> None:
        """Wait until every image logged so far is written (called by `Run.finish`)."""
        self._pool.shutdown(wait=True)


# -- reading -----------------------------------------------------------------------------------


def _steps_in(folder: Path) -> list[tuple[int, Path]]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found: list[tuple[int, Path]] = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or not name.endswith(layout.MEDIA_SUFFIX):
            continue
        try:
            step = int(name[: -len(layout.MEDIA_SUFFIX)])
            if not entry.is_file():
                continue
        except (ValueError, OSError):
            continue
        found.append((step, Path(entry.path)))
    return sorted(found)


def read_media(run_folder: Path) -> dict[str, list[tuple[int, Path]]]:
    """`{key: [(step, path), ...]}` of a tracktui run folder, steps ascending; {} without media."""
    media: dict[str, list[tuple[int, Path]]] = {}
    try:
        folders = sorted(os.scandir(run_folder / layout.MEDIA_DIR), key=lambda e: e.name)
    except OSError:
        return media
    for entry in folders:
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        steps = _steps_in(Path(entry.path))
        if steps:
            media[unquote(entry.name)] = steps
    return media


def read_mlflow_images(artifacts_dir: Path) -> dict[str, list[tuple[int, Path]]]:
    """Images MLflow logged with `mlflow.log_image(image, key=..., step=...)`.

    MLflow writes `images/<key, "/" as "#">%step%<step>%timestamp%<ms>%<uuid>.png` (plus a
    `%compressed.webp` thumbnail, skipped here). Of several images at one step the newest
    file name wins (the timestamp sorts within a key and step).
    """
    by_key: dict[str, dict[int, Path]] = {}
    try:
        names = sorted(os.listdir(artifacts_dir / MLFLOW_IMAGES_DIR))
    except OSError:
        return {}
    for name in names:
        match = _MLFLOW_NAME.match(name)
        if match is None:
            continue
        key = match["key"].replace("#", "/")
        by_key.setdefault(key, {})[int(match["step"])] = artifacts_dir / MLFLOW_IMAGES_DIR / name
    return {key: sorted(steps.items()) for key, steps in sorted(by_key.items())}


def log_image(run: Any, key: str, image: Any, step: int | None) -> int:
    """`Run.log_image`: check and copy on the caller's thread, write on the run's media thread; the step used."""
    import numbers

    layout.check_key(key, "image key")
    layout.media_dirname(key)
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise TypeError(f"image {key!r}: step must be an int, got {type(step).__name__}")
        step = int(step)
    run._check_open()
    pending = prepare(key, image)
    with run._lock:
        run._check_open()
        writer = run._media
        if writer is None:
            writer = run._media = MediaWriter(run.path, lambda exc, what: run._warn_once(exc, what))
            run.on_finish.append(writer.drain)
    used = writer.next_step(key, step)
    writer.submit(key, used, pending)
    return int(used)
