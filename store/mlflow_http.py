"""Talking to an MLflow tracking server: auth, TLS, timeouts, retries, and errors a user can act on.

Auth and transport are read from the environment exactly as MLflow's own client reads
them, so a shell already set up for `mlflow` works here unchanged:
`MLFLOW_TRACKING_USERNAME`/`MLFLOW_TRACKING_PASSWORD` (basic), `MLFLOW_TRACKING_TOKEN`
(bearer), `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH`, and
`MLFLOW_HTTP_REQUEST_TIMEOUT`. Retries are bounded and short (we are interactive; MLflow's
client waits minutes): idempotent requests only, on connection failures, 429 and 5xx.

Every failure comes out as `ServerError` (a `StoreError`), whose message is one line saying
what to do: wrong password, the 3.x `--allowed-hosts` check, not an MLflow server, down.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import StoreError

API = "/api/2.0/mlflow/"
AJAX_API = "/ajax-api/2.0/mlflow/"
"""MLflow serves `metrics/get-history-bulk` only under the UI's `ajax-api` prefix."""
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts/"

DEFAULT_TIMEOUT = 120.0
"""Seconds to wait for a response, as MLflow's client (MLFLOW_HTTP_REQUEST_TIMEOUT overrides): a page of
thousands of runs takes a loaded server a while."""
CONNECT_TIMEOUT = 5.0
RETRIES = 2
"""Bounded: an unreachable server must say so within seconds, not minutes."""
POOL = 8
"""Connections kept per host: the parallel experiment fetches and bulk history calls share them."""
INVALID_HOST_TEXT = "Invalid Host header"


class ServerError(StoreError):
    """A tracking server request failed; the message says what to do about it."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def display_url(url: str) -> str:
    """The URL without a password (`user:secret@host` becomes `user@host`) and without a trailing slash."""
    parts = urlsplit(url.rstrip("/"))
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def is_server_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


class ServerClient:
    """One tracking server: a pooled, thread-safe session with MLflow's auth and TLS settings."""

    def __init__(self, url: str, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        parts = urlsplit(url.rstrip("/"))
        self.base = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else "")
                                if parts.hostname else parts.netloc, parts.path, "", ""))
        self.url = display_url(url)
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
        try:
            read_timeout = float(env.get("MLFLOW_HTTP_REQUEST_TIMEOUT") or DEFAULT_TIMEOUT)
        except ValueError:
            read_timeout = DEFAULT_TIMEOUT
        self.timeout = (CONNECT_TIMEOUT, read_timeout)
        retry = Retry(total=RETRIES, backoff_factor=0.3, status_forcelist=(429, 502, 503, 504),
                      allowed_methods=frozenset({"GET"}), raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_connections=POOL, pool_maxsize=POOL)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._local = threading.local()

    # -- requests ------------------------------------------------------------------------

    def get(self, endpoint: str, params: Any = None, ajax: bool = False) -> dict[str, Any]:
        return self._json("GET", (AJAX_API if ajax else API) + endpoint, params=params)

    def post(self, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._json("POST", API + endpoint, json=dict(body))

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError:
            raise ServerError(f"{self.url} answered {path} with something that is not JSON; "
                              "is this URL an MLflow tracking server?", response.status_code) from None
        if not isinstance(data, dict):
            raise ServerError(f"{self.url} answered {path} with unexpected JSON; is it an MLflow tracking server?")
        return data

    def _send(self, method: str, path: str, stream: bool = False, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout, stream=stream, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise ServerError(f"TLS failed talking to {self.url} ({_first_line(exc)}); set "
                              "MLFLOW_TRACKING_SERVER_CERT_PATH to its CA bundle, or MLFLOW_TRACKING_INSECURE_TLS=true "
                              "to skip the check") from None
        except requests.exceptions.Timeout:
            raise ServerError(f"{self.url} did not answer within {self.timeout[1]:.0f} s; try again, or raise "
                              "MLFLOW_HTTP_REQUEST_TIMEOUT") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.RetryError) as exc:
            raise ServerError(f"cannot reach the MLflow server at {self.url} ({_reason(exc)}); is it running "
                              "(`mlflow server`), and is the URL right?") from None
        except requests.exceptions.RequestException as exc:
            raise ServerError(f"request to {self.url} failed: {_first_line(exc)}") from None
        if response.status_code >= 400:
            raise self._http_error(response, path)
        return response

    def _http_error(self, response: requests.Response, path: str) -> ServerError:
        status = response.status_code
        body = response.text[:2000]
        if status == 401:
            how = ("check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD" if self.session.auth
                   else "the MLFLOW_TRACKING_TOKEN set was refused: check it (it may have expired)"
                   if "Authorization" in self.session.headers
                   else "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)")
            return ServerError(f"{self.url} refused the credentials (401 Unauthorized); {how}", status)
        if status == 403 and INVALID_HOST_TEXT in body:
            host = urlsplit(self.base).netloc
            return ServerError(f"{self.url} rejected the Host header {host!r} (403): start the server with "
                               f"`--allowed-hosts {host}` (MLflow 3.x only allows localhost by default), or use "
                               "the host name it allows", status)
        if status == 403:
            return ServerError(f"{self.url} says this user may not do that (403 Forbidden); ask the server's "
                               "admin for permission, or use other credentials", status)
        if status in (404, 405, 501):  # a plain web server refuses MLflow's POSTs with 405 or 501
            return ServerError(f"{self.url} has no {path} ({status}): not an MLflow tracking server, or the URL "
                               "needs the server's path prefix (`--static-prefix`)", status)
        message = _mlflow_message(body)
        return ServerError(f"{self.url} failed {path} ({status}){': ' + message if message else ''}", status)

    # -- artifacts -----------------------------------------------------------------------

    def download(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[bytes]:
        """The body of `path` (under the server root) in chunks, streamed."""
        response = self._send("GET", path, stream=True, params=params)
        try:
            yield from response.iter_content(chunk_size=1 << 20)
        except requests.exceptions.RequestException as exc:
            raise ServerError(f"download from {self.url} broke off: {_first_line(exc)}") from None
        finally:
            response.close()

    def upload(self, path: str, data: Any) -> None:
        """PUT a file's bytes to `path` under the mlflow-artifacts API (the server's proxied artifact store)."""
        self._send("PUT", ARTIFACTS_API + quote(path), data=data)

    def close(self) -> None:
        self.session.close()


def _mlflow_message(body: str) -> str:
    """MLflow's `{"error_code": ..., "message": ...}`, or the start of whatever the body is."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return body.strip().splitlines()[0][:200] if body.strip() else ""
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"]).splitlines()[0][:300]
    return ""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for hint in ("Connection refused", "Name or service not known", "nodename nor servname",
                 "Temporary failure in name resolution", "No route to host", "timed out", "Max retries exceeded"):
        if hint in text:
            return hint.lower()
    return _first_line(exc)
