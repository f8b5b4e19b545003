"""TensorBoard runs (see README.md).

- `python gen_tensorboard.py runs`: two runs under one logdir, 5 scalars each.
- `python gen_tensorboard.py images images`: two runs of image summaries at steps 0, 5, 10, 15, 20, one
  per writer. `pytorch/` is written by PyTorch's own `SummaryWriter` (`add_scalar`, `add_image`: the
  legacy `Summary.Image` with the PNG bytes) when torch is installed (CPU torch from the machine's wheel:
  `pip install torch==2.13.0`); without torch it is built as that writer builds it. `tf2/` is built as
  TF2's `tf.summary.image` builds it (no TensorFlow here: a string tensor `[width, height, png]` under the
  `images` plugin, its metadata sent with the tag's first value only) with tensorboard's own protos.
- `python gen_tensorboard.py odd odd`: one run of scalars with the values and tags a hand-written reader
  of the wire format could get wrong (NaN, infinities, -0.0, float32's extremes, a negative and a huge
  step, a tag of 150 characters, an empty and a non-ASCII tag, an event with no time or step, an empty
  summary, several values an event), plus a TF2 scalar (a rank-0 tensor under the `scalars` plugin) and
  a simple value carrying plugin metadata.
"""

import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.image import metadata as image_metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

STEPS = [0, 5, 10, 15, 20]


def scalars(root: Path) -> None:
    for i, name in enumerate(["lr-0.1", "lr-0.01"]):
        writer = EventFileWriter(str(root / name))
        for step in range(5):
            value = summary_pb2.Summary.Value(tag="train/loss", simple_value=1.0 / (step + 1 + i))
            writer.add_event(
                event_pb2.Event(step=step, wall_time=time.time(), summary=summary_pb2.Summary(value=[value]))
            )
        writer.close()


def png(i: int) -> bytes:
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[:, : i + 1] = 255
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def images_by_torch(folder: Path) -> bool:
    """The `pytorch/` run written by torch's own SummaryWriter; False when torch is not installed."""
    try:
        import torch
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return False
    writer = SummaryWriter(str(folder))
    for i, step in enumerate(STEPS):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
        pixels = np.zeros((3, 4, 6), dtype=np.uint8)
        pixels[:, :, : i + 1] = 255
        writer.add_image("samples", torch.from_numpy(pixels), step)
    writer.close()
    return True


def images(root: Path) -> None:
    for name in ("tf2", "pytorch"):
        if name == "pytorch" and images_by_torch(root / name):
            continue
        writer = EventFileWriter(str(root / name))
        for i, step in enumerate(STEPS):
            loss = summary_pb2.Summary.Value(tag="loss", simple_value=1.0 / (step + 1))
            if name == "tf2":
                tensor = tensor_util.make_tensor_proto([b"6", b"4", png(i)])
                value = summary_pb2.Summary.Value(tag="samples", tensor=tensor)
                if i == 0:
                    value.metadata.CopyFrom(
                        image_metadata.create_summary_metadata(display_name=None, description="digits")
                    )
            else:
                image = summary_pb2.Summary.Image(height=4, width=6, colorspace=3, encoded_image_string=png(i))
                value = summary_pb2.Summary.Value(tag="samples", image=image)
            writer.add_event(
                event_pb2.Event(step=step, wall_time=time.time(), summary=summary_pb2.Summary(value=[loss, value]))
            )
        writer.close()


def odd(root: Path) -> None:
    from tensorboard.plugins.scalar import metadata as scalar_metadata

    writer = EventFileWriter(str(root))
    plain = [
        (0, [("loss", float("nan")), ("acc", float("inf")), ("neg", float("-inf"))]),
        (1, [("loss", -0.0), ("acc", 3.4028234663852886e38), ("neg", 1e-45)]),
        (-3, [("loss/é", 0.5), ("", 0.25), ("t" * 150, 0.125)]),
        (2**40, [("loss", 2.0)]),
    ]
    for step, values in plain:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=t, simple_value=v) for t, v in values])
        writer.add_event(event_pb2.Event(step=step, wall_time=time.time(), summary=summary))
    writer.add_event(
        event_pb2.Event(summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="loss", simple_value=3.0)]))
    )
    writer.add_event(event_pb2.Event(step=7, wall_time=time.time(), summary=summary_pb2.Summary()))
    for step in (8, 9):  # TF2's scalar: a rank-0 tensor, the plugin's metadata with the tag's first value only
        value = summary_pb2.Summary.Value(tag="tf2/loss", tensor=tensor_util.make_tensor_proto(1.0 / step))
        if step == 8:
            value.metadata.CopyFrom(scalar_metadata.create_summary_metadata(display_name="", description=""))
        writer.add_event(event_pb2.Event(step=step, wall_time=time.time(), summary=summary_pb2.Summary(value=[value])))
    tagged = summary_pb2.Summary.Value(tag="described", simple_value=4.0)
    tagged.metadata.summary_description = "a simple value with metadata"
    writer.add_event(event_pb2.Event(step=10, wall_time=time.time(), summary=summary_pb2.Summary(value=[tagged])))
    writer.close()


if __name__ == "__main__":
    {"images": images, "odd": odd}.get(sys.argv[2] if sys.argv[2:] else "", scalars)(Path(sys.argv[1]))
