"""`tracktui push`: runs of any store tracktui reads, uploaded whole to an MLflow tracking server.

`pusher` sends a run (params, tags, metric points, dataset inputs, artifacts, status and times)
and knows what it sent; `fields` maps a run onto MLflow's fields and tag names; `progress`
keeps what was sent (so a push resumes and a second one sends nothing) and the push lock;
`points` picks the metric points not sent yet; `files` reads the files to upload without
following symlinks; `models` pushes the registered models of the pushed runs after them.
"""

from __future__ import annotations

from store.remote.push.fields import SOURCE_TAG
from store.remote.push.files import artifact_files
from store.remote.push.progress import MAP_FILE, map_path, push_lock
from store.remote.push.pusher import Pusher, PushProgress, PushSummary

__all__ = ["MAP_FILE", "SOURCE_TAG", "PushProgress", "PushSummary", "Pusher", "artifact_files", "map_path", "push_lock"]
