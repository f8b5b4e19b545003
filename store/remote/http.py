"""Talking to an MLflow tracking server: auth, TLS, timeouts, retries, and errors a user can act on.

Auth and transport are read from the environment exactly as MLflow's own client reads
them, so a shell already set up for `mlflow` works here unchanged:
`MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD` (basic), `MLFLOW_TRACKING_TOKEN`
(bearer), `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH`, and
`MLFLOW_HTTP_REQUEST_TIMEOUT`. Retries are bounded and short (we are interactive; MLflow's
client waits minutes): idempotent requests only, on connection failures, 429 and 5xx.

A server's answers are untrusted and bounded: `MLFLOW_HTTP_REQUEST_TIMEOUT` is a total deadline
for a request, body included (`requests`' own timeout is per read, so a server that trickles a
byte a second would hold it forever), and a body is streamed and refused past its endpoint's cap
(`BODY_CAPS`). Each request runs in a daemon thread of its own (store/remote/transfer.py) while
the caller waits on the deadline, so a stuck server never keeps the process from exiting;
`close()` (the app calls it on exit) and Ctrl-C end every request under way at once.

Every failure comes out as `ServerError` (a `StoreError`), whose message is one line saying
what to do: wrong password, the 3.x `--allowed-hosts` check, not an MLflow server, down.
"""

from __future__ import annotations

import math
import os
import queue
import signal
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from store.errors import StoreError
from store.remote.transfer import END, WAIT_SLICE, Transfer
from store.safe_read import loads_json

API = "/api/2.0/mlflow/"
AJAX_API = "/ajax-api/2.0/mlflow/"
"""MLflow serves `metrics/get-history-bulk` only under the UI's `ajax-api` prefix."""
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts/"

DEFAULT_TIMEOUT = 120.0
"""Seconds a request may take in all, body included, as MLflow's client (MLFLOW_HTTP_REQUEST_TIMEOUT overrides):
a page of thousands of runs takes a loaded server a while."""
CONNECT_TIMEOUT = 5.0
RETRIES = 2
"""Bounded: an unreachable server must say so within seconds, not minutes."""
POOL = 8
"""Connections kept per host: the parallel experiment fetches and bulk history calls share them."""
INVALID_HOST_TEXT = "Invalid Host header"

MB = 1 << 20
BODY_CAPS = {
    "runs/search": 256 * MB,
    "runs/get": 64 * MB,
    "metrics/get-history-bulk": 64 * MB,
    "metrics/get-history": 64 * MB,
}
"""The largest answer taken from each endpoint: a page of 10,000 runs is some 30 MB, 25,000 points some 3 MB;
past the cap the answer is refused (a 500 MB answer would take three times that in memory)."""
DEFAULT_BODY_CAP = 16 * MB
"""Every other endpoint (experiments, artifact lists) answers in far less."""
ERROR_BODY_CAP = 64 * 1024
"""Of an error answer only the start is read (its first line is shown)."""
DOWNLOAD_RATE = 100_000
"""Bytes a second an artifact download must average: its deadline is the timeout plus its listed size at this rate."""
CHUNK = 64 * 1024
DOWNLOAD_CHUNK = 1 << 20
"""Artifacts come in bigger pieces: each is one progress report to the screen."""
TIMEOUT_ENV = "MLFLOW_HTTP_REQUEST_TIMEOUT"


class ServerError(StoreError):
    """A tracking server request failed; the message says what to do about it."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _split(url: str) -> SplitResult:
    """The parts of a server URL; ServerError saying how to write it when it is not one."""
    try:
        parts = urlsplit(url.rstrip("/"))
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise ServerError(
            f"{_without_password(url)!r} is not a usable server URL ({exc}); write it as http://host:port"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerError(
            f"{_without_password(url)!r} is not a usable server URL (no host); write it as http://host:port"
        ) from None
    return parts


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@", 0, rest.find("/") if "/" in rest else len(rest))
    return f"{scheme}{sep}{rest[at + 1 :]}"[:200] if at >= 0 else url[:200]


def display_url(url: str) -> str:
    """The URL without a password (`user:secret@host` becomes `user@host`) and without a trailing slash."""
    parts = _split(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def is_server_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def request_timeout(env: Mapping[str, str]) -> float:
    """MLFLOW_HTTP_REQUEST_TIMEOUT in seconds (DEFAULT_TIMEOUT when unset); ServerError saying how to set it."""
    text = (env.get(TIMEOUT_ENV) or "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < 10**7:
        raise ServerError(
            f"{TIMEOUT_ENV}={text[:40]!r} is not a number of seconds above 0; set it to one "
            f"(e.g. {TIMEOUT_ENV}=120) or unset it"
        )
    return seconds


_CLIENTS: weakref.WeakSet[ServerClient] = weakref.WeakSet()
_SIGINT_HOOKED: list[bool] = []


def _interrupted(signum: int, frame: Any) -> None:
    """Ctrl-C: every request under way ends now (threads waiting on them would hold up the exit), then as usual."""
    for client in list(_CLIENTS):
        client.close()
    signal.default_int_handler(signum, frame)


def _hook_sigint() -> None:
    """Chain `_interrupted` before Python's own Ctrl-C handler, once, when nobody else has replaced it."""
    if _SIGINT_HOOKED or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
        _SIGINT_HOOKED.append(True)


class ServerClient:
    """One tracking server: a pooled, thread-safe session with MLflow's auth and TLS settings."""

    def __init__(self, url: str, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        parts = _split(url)
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
        self.base = urlunsplit((parts.scheme, host + (f":{parts.port}" if parts.port else ""), parts.path, "", ""))
        self.url = display_url(url)
        self.deadline = request_timeout(env)
        self.session = requests.Session()
        user = parts.username or env.get("MLFLOW_TRACKING_USERNAME")
        password = parts.password or env.get("MLFLOW_TRACKING_PASSWORD")
        token = env.get("MLFLOW_TRACKING_TOKEN")
        if user and password is not None:
            self.session.auth = (user, password)
        elif token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = "tracktui"
        if env.get("MLFLOW_TRACKING_INSECURE_TLS", "").strip().lower() in ("true", "1"):
            self.session.verify = False
        elif env.get("MLFLOW_TRACKING_SERVER_CERT_PATH"):
            self.session.verify = env["MLFLOW_TRACKING_SERVER_CERT_PATH"]
        self.timeout = (min(CONNECT_TIMEOUT, self.deadline), self.deadline)
        retry = Retry(
            total=RETRIES,
            backoff_factor=0.3,
            status_forcelist=(429, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=POOL, pool_maxsize=POOL)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._closed = threading.Event()
        _CLIENTS.add(self)
        _hook_sigint()

    # -- requests ------------------------------------------------------------------------

    def get(self, endpoint: str, params: Any = None, ajax: bool = False) -> dict[str, Any]:
        return self._json(
            "GET", (AJAX_API if ajax else API) + endpoint, BODY_CAPS.get(endpoint, DEFAULT_BODY_CAP), params=params
        )

    def post(self, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._json("POST", API + endpoint, BODY_CAPS.get(endpoint, DEFAULT_BODY_CAP), json=dict(body))

    def patch(self, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """MLflow's `*/update` endpoints (descriptions) take PATCH."""
        return self._json("PATCH", API + endpoint, BODY_CAPS.get(endpoint, DEFAULT_BODY_CAP), json=dict(body))

    def _json(self, method: str, path: str, cap: int, **kwargs: Any) -> dict[str, Any]:
        transfer, deadline, response = self._send(method, path, time.monotonic() + self.deadline, **kwargs)
        body = b"".join(
            self._body(
                transfer,
                deadline,
                path,
                cap,
                f"answered {path} with more than {cap // MB} MB "
                "(the most tracktui takes from it); is this URL an MLflow tracking server?",
            )
        )
        try:
            data = loads_json(body)
        except ValueError:
            raise ServerError(
                f"{self.url} answered {path} with something that is not JSON (or nested too deep); "
                "is this URL an MLflow tracking server?",
                response.status_code,
            ) from None
        if not isinstance(data, dict):
            raise ServerError(f"{self.url} answered {path} with unexpected JSON; is it an MLflow tracking server?")
        return data

    def _send(
        self, method: str, path: str, deadline: float, chunk: int = CHUNK, **kwargs: Any
    ) -> tuple[Transfer, float, requests.Response]:
        """The request under way and its response (status and headers); errors raised as ServerError."""
        if self._closed.is_set():
            raise ServerError(f"the connection to {self.url} was closed (tracktui is quitting)")
        transfer = Transfer(self.session, method, self.base + path, self.timeout, kwargs, chunk)
        try:
            first = self._next(transfer, deadline)
            if isinstance(first, BaseException):
                raise self._transport_error(first) from None
            response: requests.Response = first
            if response.status_code >= 400:
                raise self._http_error(response, path, self._error_body(transfer, deadline))
        except BaseException:
            transfer.stop.set()
            raise
        return transfer, deadline, response

    def _next(self, transfer: Transfer, deadline: float) -> Any:
        """The next item of `transfer`, waiting no later than `deadline` (nor past a close or Ctrl-C)."""
        while True:
            if self._closed.is_set():
                raise ServerError(f"the request to {self.url} was stopped (tracktui is quitting)")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServerError(
                    f"{self.url} did not answer within {self.deadline:g} s; try again, or raise {TIMEOUT_ENV}"
                )
            try:
                return transfer.items.get(timeout=min(left, WAIT_SLICE))
            except queue.Empty:
                continue

    def _body(self, transfer: Transfer, deadline: float, path: str, cap: int, too_big: str) -> Iterator[bytes]:
        """The body in chunks, ended (ServerError) past `deadline` or past `cap` bytes, then `too_big` is said."""
        done = 0
        try:
            while True:
                item = self._next(transfer, deadline)
                if item is END:
                    return
                if isinstance(item, BaseException):
                    raise ServerError(f"the answer of {self.url} to {path} broke off: {_first_line(item)}")
                done += len(item)
                if done > cap:
                    raise ServerError(f"{self.url} {too_big}")
                yield item
        finally:
            transfer.stop.set()

    def _error_body(self, transfer: Transfer, deadline: float) -> str:
        """The start of an error answer (ERROR_BODY_CAP), as text; what did not come in time is left out."""
        parts: list[bytes] = []
        size = 0
        try:
            while size < ERROR_BODY_CAP:
                item = self._next(transfer, min(deadline, time.monotonic() + CONNECT_TIMEOUT))
                if item is END or isinstance(item, BaseException):
                    break
                parts.append(item)
                size += len(item)
        except ServerError:
            pass
        return b"".join(parts)[:ERROR_BODY_CAP].decode("utf-8", "replace")

    def _transport_error(self, exc: BaseException) -> BaseException:
        if isinstance(exc, requests.exceptions.SSLError):
            return ServerError(
                f"TLS failed talking to {self.url} ({_first_line(exc)}); set "
                "MLFLOW_TRACKING_SERVER_CERT_PATH to its CA bundle, or "
                "MLFLOW_TRACKING_INSECURE_TLS=true to skip the check"
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return ServerError(
                f"{self.url} did not answer within {self.deadline:g} s; try again, or raise {TIMEOUT_ENV}"
            )
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.RetryError)):
            return ServerError(
                f"cannot reach the MLflow server at {self.url} ({_reason(exc)}); is it running "
                "(`mlflow server`), and is the URL right?"
            )
        if isinstance(exc, (requests.exceptions.RequestException, ValueError, OSError)):
            return ServerError(f"request to {self.url} failed: {_first_line(exc)}")
        return exc

    def _http_error(self, response: requests.Response, path: str, body: str) -> ServerError:
        status = response.status_code
        if status == 401:
            how = (
                "check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
                if self.session.auth
                else "the MLFLOW_TRACKING_TOKEN set was refused: check it (it may have expired)"
                if "Authorization" in self.session.headers
                else "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)"
            )
            return ServerError(f"{self.url} refused the credentials (401 Unauthorized); {how}", status)
        if status == 403 and INVALID_HOST_TEXT in body:
            host = urlsplit(self.base).netloc
            return ServerError(
                f"{self.url} rejected the Host header {host!r} (403): start the server with "
                f"`--allowed-hosts {host}` (MLflow 3.x only allows localhost by default), or use "
                "the host name it allows",
                status,
            )
        if status == 403:
            return ServerError(
                f"{self.url} says this user may not do that (403 Forbidden); ask the server's "
                "admin for permission, or use other credentials",
                status,
            )
        if status in (404, 405, 501):  # a plain web server refuses MLflow's POSTs with 405 or 501
            return ServerError(
                f"{self.url} has no {path} ({status}): not an MLflow tracking server, or the URL "
                "needs the server's path prefix (`--static-prefix`)",
                status,
            )
        message = _mlflow_message(body)
        return ServerError(f"{self.url} failed {path} ({status}){': ' + message if message else ''}", status)

    # -- artifacts -----------------------------------------------------------------------

    def download(
        self, path: str, params: Mapping[str, str] | None = None, limit: int | None = None, what: str = "the file"
    ) -> Iterator[bytes]:
        """The body of `path` (under the server root) in chunks, streamed; ServerError past `limit` bytes
        (`what` names it), and past the timeout plus `limit` at DOWNLOAD_RATE."""
        cap = limit if limit is not None else 1 << 62
        deadline = time.monotonic() + self.deadline + (0 if limit is None else limit / DOWNLOAD_RATE)
        transfer, deadline, _ = self._send("GET", path, deadline, DOWNLOAD_CHUNK, params=params)
        yield from self._body(transfer, deadline, path, cap, f"sent more than the {cap:,} bytes of {what}")

    def upload(self, path: str, data: Any) -> None:
        """PUT a file's bytes to `path` under the mlflow-artifacts API (the server's proxied artifact store)."""
        transfer, _, _ = self._send("PUT", ARTIFACTS_API + quote(path), time.monotonic() + self.deadline, data=data)
        transfer.stop.set()

    def close(self) -> None:
        """End every request under way (their callers get a ServerError at once) and refuse new ones."""
        self._closed.set()
        self.session.close()


def _mlflow_message(body: str) -> str:
    """MLflow's `{"error_code": ..., "message": ...}`, or the start of whatever the body is."""
    try:
        data = loads_json(body)
    except ValueError:
        return body.strip().splitlines()[0][:200] if body.strip() else ""
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"]).splitlines()[0][:300]
    return ""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for hint in (
        "Connection refused",
        "Name or service not known",
        "nodename nor servname",
        "Temporary failure in name resolution",
        "No route to host",
        "timed out",
        "Max retries exceeded",
    ):
        if hint in text:
            return hint.lower()
    return _first_line(exc)
