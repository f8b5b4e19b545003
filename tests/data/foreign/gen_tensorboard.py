"""Two TensorBoard runs under one logdir (see README.md): `python gen_tensorboard.py runs`."""

import sys
import time
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

for i, name in enumerate(["lr-0.1", "lr-0.01"]):
    writer = EventFileWriter(str(Path(sys.argv[1]) / name))
    for step in range(5):
        value = summary_pb2.Summary.Value(tag="train/loss", simple_value=1.0 / (step + 1 + i))
        writer.add_event(event_pb2.Event(step=step, wall_time=time.time(),
                                         summary=summary_pb2.Summary(value=[value])))
    writer.close()
