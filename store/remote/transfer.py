"""One HTTP request in a daemon thread of its own, handing its response and body chunks to the waiting
caller through a small queue (store/remote/http.py waits on them with a deadline).

`requests`' own timeout is per read, so a server that trickles a byte a second would hold a
caller forever; here the caller gives up at its deadline and tells the thread to stop, and a
daemon thread never holds up the process's exit.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import requests

__all__ = ["END", "QUEUE_CHUNKS", "WAIT_SLICE", "Transfer"]

QUEUE_CHUNKS = 16
WAIT_SLICE = 0.2
"""A waiting caller looks this often whether its client was closed (exit) or the process interrupted."""
END = object()
"""The item after a body's last chunk."""


class Transfer:
    """One request in a daemon thread of its own, its response and body chunks handed over through a small queue.

    The caller takes them with a deadline; a request it gives up on (deadline, cap, close) is told
    to stop and left to end on its own: a daemon thread never holds up the process's exit.
    """

    def __init__(
        self,
        session: requests.Session,
        method: str,
        url: str,
        timeout: tuple[float, float],
        kwargs: dict[str, Any],
        chunk: int,
    ) -> None:
        self.items: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.stop = threading.Event()
        self.chunk = chunk
        self.args = (session, method, url, timeout, kwargs)
        threading.Thread(target=self._run, name="tracktui-http", daemon=True).start()

    def _run(self) -> None:
        session, method, url, timeout, kwargs = self.args
        try:
            response = session.request(method, url, timeout=timeout, stream=True, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it as a ServerError
            self._put(exc)
            return
        try:
            if self._put(response):
                for chunk in response.iter_content(self.chunk):
                    if not self._put(chunk):
                        return
                self._put(END)
        except BaseException as exc:  # noqa: BLE001 - any failure of this thread is handed to the caller, which raises it
            self._put(exc)
        finally:
            response.close()

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.items.put(item, timeout=WAIT_SLICE)
                return True
            except queue.Full:
                continue
        return False
