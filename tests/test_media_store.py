"""`log_image`: what it accepts, where it writes, how steps count, and what a kill leaves behind."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import store
from store.ours import layout
from store.ours.media import read_mlflow_images
from tests.children import run_python


def _run(tmp_path: Path) -> store.Run:
    return store.start_run(experiment="e", root=tmp_path, system_metrics_interval=0)


def test_every_kind_of_input_is_saved_as_png(tmp_path: Path) -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = np.zeros((5, 6, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    rgba = np.full((2, 2, 4), 0.5, dtype=np.float32)
    source = tmp_path / "in.jpg"
    Image.new("RGB", (7, 3), (10, 20, 30)).save(source)
    with _run(tmp_path) as run:
        run.log_image("grey", grey)
        run.log_image("rgb", rgb)
        run.log_image("rgba", rgba)
        run.log_image("pil", Image.new("L", (4, 4), 9))
        run.log_image("file/jpg", source)
        run.log_image("file/jpg", str(source))
    detail = store.open_store(tmp_path).run(run.id)
    media = detail.media()
    assert sorted(media) == ["file/jpg", "grey", "pil", "rgb", "rgba"]
    assert [step for step, _ in media["file/jpg"]] == [0, 1]
    assert media["file/jpg"][0][1].parent.name == "file%2Fjpg"
    with Image.open(media["grey"][0][1]) as img:
        assert img.format == "PNG" and img.size == (4, 3)
        assert np.array_equal(np.asarray(img), grey)
    with Image.open(media["rgb"][0][1]) as img:
        assert img.mode == "RGB" and np.asarray(img)[0, 0].tolist() == [200, 0, 0]
    with Image.open(media["rgba"][0][1]) as img:
        assert img.mode == "RGBA" and np.asarray(img)[0, 0].tolist() == [128, 128, 128, 128]
    with Image.open(media["file/jpg"][0][1]) as img:
        assert img.format == "PNG" and img.size == (7, 3)


def test_steps_count_per_key_like_metrics_and_continue_after_a_resume(tmp_path: Path) -> None:
    image = np.zeros((2, 2), dtype=np.uint8)
    with _run(tmp_path) as run:
        assert run.log_image("a", image) == 0
        assert run.log_image("a", image) == 1
        assert run.log_image("b", image, step=10) == 10
        assert run.log_image("b", image) == 11
        assert run.log_image("a", image, step=np.int64(5)) == 5
    with store.start_run(resume=run.id, root=tmp_path, system_metrics_interval=0) as again:
        assert again.log_image("a", image) == 6
    media = store.open_store(tmp_path).run(run.id).media()
    assert [s for s, _ in media["a"]] == [0, 1, 5, 6]
    assert [s for s, _ in media["b"]] == [10, 11]


def test_the_array_is_copied_at_the_call(tmp_path: Path) -> None:
    buffer = np.zeros((4, 4), dtype=np.uint8)
    with _run(tmp_path) as run:
        for value in (10, 20, 30):
            buffer[:] = value
            run.log_image("frame", buffer)
    media = store.open_store(tmp_path).run(run.id).media()
    assert [int(np.asarray(Image.open(path))[0, 0]) for _, path in media["frame"]] == [10, 20, 30]


@pytest.mark.parametrize(
    ("image", "error", "words"),
    [
        (np.zeros((2, 2, 2), dtype=np.uint8), ValueError, "shape (2, 2, 2)"),
        (np.zeros((2, 2, 3, 1), dtype=np.uint8), ValueError, "HxWx3"),
        (np.zeros((0, 3), dtype=np.uint8), ValueError, "empty"),
        (np.full((2, 2), 1.5), ValueError, "[0, 1]"),
        (np.full((2, 2), np.nan), ValueError, "[0, 1]"),
        (np.zeros((2, 2), dtype=np.int32), TypeError, "int32"),
        ([[0, 1], [1, 0]], TypeError, "list"),
        (3.0, TypeError, "float"),
    ],
)
def test_bad_images_fail_at_the_call_naming_the_key(
    tmp_path: Path, image: object, error: type[Exception], words: str
) -> None:
    with _run(tmp_path) as run:
        with pytest.raises(error) as info:
            run.log_image("val/sample", image)
    assert "'val/sample'" in str(info.value) and words in str(info.value)
    assert store.open_store(tmp_path).run(run.id).media() == {}


def test_bad_keys_steps_and_paths_fail_at_the_call(tmp_path: Path) -> None:
    image = np.zeros((2, 2), dtype=np.uint8)
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("hello")
    with _run(tmp_path) as run:
        with pytest.raises(ValueError, match="empty"):
            run.log_image("", image)
        with pytest.raises(ValueError, match="control"):
            run.log_image("a\nb", image)
        with pytest.raises(TypeError, match="step must be an int"):
            run.log_image("k", image, step=1.5)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"'k'.*not an image"):
            run.log_image("k", not_an_image)
        with pytest.raises(ValueError, match=r"'k'.*cannot read"):
            run.log_image("k", tmp_path / "missing.png")
    with pytest.raises(store.RunFinishedError):
        run.log_image("k", image)


def test_module_level_log_image_uses_the_active_run(tmp_path: Path) -> None:
    with _run(tmp_path) as run:
        assert store.log_image("k", np.ones((2, 2), dtype=np.float64)) == 0
    assert list(store.open_store(tmp_path).run(run.id).media()) == ["k"]


def test_a_kill_during_log_image_never_leaves_a_torn_png(tmp_path: Path) -> None:
    """SIGKILL while a writer logs large images continuously: every PNG under a final name decodes whole."""
    proc = run_python(
        f"""
        import sys, numpy as np, store
        run = store.start_run(experiment="e", root={str(tmp_path)!r}, system_metrics_interval=0)
        rng = np.random.default_rng(0)
        image = rng.integers(0, 255, (768, 768, 3), dtype=np.uint8)
        for step in range(10_000):
            run.log_image("big", image)
            if step == 3:
                run._media._pool.submit(lambda: None).result()  # the first four are on disk
                print("go", flush=True)
    """,
        wait=False,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"go"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    folder = next(tmp_path.glob(f"*/*/{layout.MEDIA_DIR}/big"))
    finals = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    assert len(finals) >= 4
    for path in finals:
        with Image.open(path) as img:
            img.load()
            assert img.size == (768, 768)
    detail = store.open_store(tmp_path).run(next(tmp_path.glob("*/*")).name)
    assert [path for _, path in detail.media()["big"]] == finals


def test_mlflow_logged_images_are_read_by_key_and_step(tmp_path: Path) -> None:
    images = tmp_path / "artifacts" / "images"
    images.mkdir(parents=True)
    for step in (0, 5):
        stem = f"val#sample%step%{step}%timestamp%17000000000{step}0%abcd-{step}"
        Image.new("RGB", (2, 2)).save(images / f"{stem}.png")
        (images / f"{stem}%compressed.webp").write_bytes(b"")
    (images / "unrelated.png").write_bytes(b"")
    media = read_mlflow_images(tmp_path / "artifacts")
    assert list(media) == ["val/sample"]
    assert [step for step, _ in media["val/sample"]] == [0, 5]
    assert read_mlflow_images(tmp_path / "nothing") == {}


def test_an_image_that_cannot_be_written_warns_once_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _run(tmp_path) as run:
        (run.path / layout.MEDIA_DIR).write_text("not a folder")  # every write of an image fails
        run.log_image("k", np.zeros((2, 2), dtype=np.uint8))
        run.log_image("k", np.zeros((2, 2), dtype=np.uint8))
        run.log_metric("loss", 1.0)
    err = capsys.readouterr().err
    assert err.count("cannot write run") == 1 and "image 'k' step 0 was not saved" in err
    detail = store.open_store(tmp_path).run(run.id)
    assert detail.status == "finished" and detail.metrics["loss"]["last"] == 1.0
    assert run._media.failed == ["k@0", "k@1"]


def test_an_mlflow_file_store_run_gives_its_logged_images(tmp_path: Path) -> None:
    from tests.mlflow_fixtures import run_id, write_experiment, write_run

    root = tmp_path / "mlruns"
    folder = write_run(write_experiment(root, "1", "exp"), run_id(1), "with-images")
    images = folder / "artifacts" / "images"
    images.mkdir()
    for step in (0, 3):
        Image.new("RGB", (2, 2)).save(images / f"samples%step%{step}%timestamp%1700000000000%u{step}.png")
    detail = store.open_store(root).run(run_id(1))
    media = detail.media()
    assert list(media) == ["samples"] and [step for step, _ in media["samples"]] == [0, 3]
