"""A tiny fake MLflow tracking server on 127.0.0.1 for answers a real one never gives: wrong types,
hostile ids and paths, bodies that trickle or never end.

`answers` maps an endpoint (`runs/search`, `artifacts/list`, `get-artifact`, ...) to the JSON-able
value it answers with, or to a callable `(handler) -> None` that writes the whole response itself
(see `trickle` and `endless`). An endpoint without an answer gets MLflow's 404. `asked` counts the
requests each endpoint got; `sent` the bytes the callables managed to write before the client left.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/")


class FakeServer:
    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.asked: dict[str, int] = {}
        self.sent = 0
        self.stopping = threading.Event()
        self.got_request = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._answer()

            def _answer(self) -> None:
                path = urlsplit(self.path).path
                endpoint = next(path[len(p) :] for p in PREFIXES if path.startswith(p))
                fake.asked[endpoint] = fake.asked.get(endpoint, 0) + 1
                fake.got_request.set()
                answer = fake.answers.get(endpoint)
                if callable(answer):
                    try:
                        answer(self)
                    except OSError:  # the client left: what it refused is what we measure
                        pass
                    return
                status = 200 if endpoint in fake.answers else 404
                body = json.dumps(answer if status == 200 else {"error_code": "ENDPOINT_NOT_FOUND"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def trickle(self, interval: float) -> Callable[[BaseHTTPRequestHandler], None]:
        """An answer that promises a body and sends one byte of it every `interval` seconds, until stopped."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "100000")
            handler.end_headers()
            handler.wfile.flush()
            while not self.stopping.wait(interval):
                handler.wfile.write(b" ")
                handler.wfile.flush()

        return answer

    def raw(self, body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
        """An answer of these bytes (an artifact's content)."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        return answer

    def endless(self, total: int) -> Callable[[BaseHTTPRequestHandler], None]:
        """An answer of `total` bytes of spaces, sent as fast as the client takes them (counted in `sent`)."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(total))
            handler.end_headers()
            chunk = b" " * (1 << 20)
            left = total
            while left > 0 and not self.stopping.is_set():
                handler.wfile.write(chunk[:left])
                self.sent += min(left, len(chunk))
                left -= len(chunk)

        return answer


def one_experiment(*ids: str) -> dict[str, Any]:
    """An `experiments/search` answer with these experiment ids (named `e<id>`)."""
    return {"experiments": [{"experiment_id": i, "name": f"e{i}", "lifecycle_stage": "active"} for i in ids]}


def run_json(run_id: Any, experiment_id: str = "0", **info: Any) -> dict[str, Any]:
    """One run as `runs/search` gives it: finished, a param, a tag and a metric."""
    return {
        "info": {
            "run_id": run_id,
            "run_uuid": run_id,
            "experiment_id": experiment_id,
            "run_name": "r",
            "status": "FINISHED",
            "start_time": 1_700_000_000_000,
            "end_time": 1_700_000_060_000,
            "lifecycle_stage": "active",
            "user_id": "me",
            "artifact_uri": "mlflow-artifacts:/0/x",
            **info,
        },
        "data": {
            "params": [{"key": "lr", "value": "0.1"}],
            "tags": [{"key": "stage", "value": "a"}],
            "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1_700_000_001_000, "step": 3}],
        },
    }
