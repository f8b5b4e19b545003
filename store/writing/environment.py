"""What a run ran with: installed Python packages, selected environment variables, the machine, the git diff.

Cheap by design: packages come from the installed distributions' metadata (one directory
walk, no `pip freeze` subprocess); the diff is one `git diff` with a timeout. Written as
artifacts under `tracktui/` so the artifact browser shows them (see FORMAT.md).
"""

from __future__ import annotations

import fnmatch
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from store import safe_read
from store.ours import machine as machine_file

if TYPE_CHECKING:
    from store.writing.writer import Run

CONTEXT_DIR = "tracktui"
"""Artifacts folder that holds what tracktui recorded about the run's context."""
PACKAGES_FILE = f"{CONTEXT_DIR}/requirements.txt"
ENV_FILE = machine_file.ENV_FILE
PATCH_FILE = f"{CONTEXT_DIR}/git.patch"

SECRET_PATTERNS = ("*KEY*", "*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*", "*AUTH*", "*PRIVATE*")
"""Names (case-insensitive) whose values are never recorded, only the name."""
ENV_PREFIXES = (
    "CUDA_",
    "NVIDIA_",
    "NCCL_",
    "CUDNN_",
    "OMP_",
    "MKL_",
    "OPENBLAS_",
    "KMP_",
    "TORCH_",
    "PYTORCH_",
    "TF_",
    "XLA_",
    "JAX_",
    "HF_",
    "TRANSFORMERS_",
    "TOKENIZERS_",
    "PYTHON",
    "CONDA_",
    "SLURM_",
    "PBS_",
    "LSB_",
    "TRACKTUI_",
    "MLFLOW_",
    "WANDB_",
    "LC_",
    "ACCELERATE_",
    "DEEPSPEED_",
)
ENV_NAMES = (
    "PATH",
    "VIRTUAL_ENV",
    "LANG",
    "HOSTNAME",
    "WORLD_SIZE",
    "RANK",
    "LOCAL_RANK",
    "MASTER_ADDR",
    "MASTER_PORT",
    "LD_LIBRARY_PATH",
    "SHELL",
    "TERM",
)
SECRET_QUERY_PATTERNS = (*SECRET_PATTERNS, "SIG", "*SIGNATURE*", "*PASS*", "*SESSION*", "CODE")
"""URL query parameters (case-insensitive) dropped from recorded values: `token=`, `api_key=`, `sig=` ..."""
REDACTED = "<redacted>"
"""What stands in a recorded command line for a secret option's value."""
USERINFO = re.compile(r"(?<=://)[^/?#\s]*@")
QUERY_PARAM = re.compile(r"([?&;#])([^=&;#?\s]+)=[^&;#\s,]*")
MAX_PATCH_BYTES = 10 * 1024 * 1024
"""A larger diff is cut with a note: a 10 MB patch is a data file checked in by mistake."""


def is_secret(name: str, patterns: tuple[str, ...] = SECRET_PATTERNS) -> bool:
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in patterns)


def without_credentials(value: str) -> str:
    """`value` with every URL in it stripped of its `user:password@` and of secret-looking query
    parameters (`https://u:p@host/x?token=t&a=1` -> `https://host/x?a=1`).

    Plain patterns rather than a URL parser: a list of URLs, or a password holding `,` or
    `;`, must not hide a credential from it.
    """
    if "://" not in value:
        return value
    value = USERINFO.sub("", value)
    value = QUERY_PARAM.sub(
        lambda m: (
            m.group(0)
            if not is_secret(unquote(m.group(2)), SECRET_QUERY_PATTERNS)
            else ("" if m.group(1) in "&;" else m.group(1))
        ),
        value,
    )
    return re.sub(r"[?#]+$", "", re.sub(r"([?#])[&;]+", r"\1", value))


def command_without_credentials(argv: list[str]) -> tuple[list[str], bool]:
    """`argv` as it may be recorded: URLs cleaned as in `without_credentials`, and the value of a
    secret-named option (`--api-key=X`, `--token X`, `--password=X`) replaced by `<redacted>`.

    Returns the cleaned list and whether anything was changed, for the caller to say so.
    """
    out: list[str] = []
    secret_next = False
    for arg in argv:
        name, eq, _value = arg.partition("=")
        if secret_next and not arg.startswith("-"):
            clean = REDACTED
        elif eq and name.startswith("-") and is_secret(name.lstrip("-").replace("-", "_")):
            clean = f"{name}={REDACTED}"
        else:
            clean = without_credentials(arg)
        secret_next = arg.startswith("-") and not eq and is_secret(arg.lstrip("-").replace("-", "_"))
        out.append(clean)
    return out, out != argv


def selected_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """`{"variables": {name: value}, "redacted": [names], "credentials_removed": [names]}` of the
    variables worth keeping.

    Only names that say something about how a run behaves (CUDA, threads, Python, the
    scheduler, ...) are kept; a secret-looking name among them is listed without its value,
    and a value holding a URL with a password or a token in it (`MLFLOW_TRACKING_URI=
    https://user:pass@host`) is kept without them and its name listed: the file is readable
    by anyone who reads the store, and `tracktui push` uploads it.
    """
    env = dict(os.environ if environ is None else environ)
    keep: dict[str, str] = {}
    redacted: list[str] = []
    cleaned: list[str] = []
    for name in sorted(env):
        if not (name in ENV_NAMES or name.startswith(ENV_PREFIXES)):
            continue
        if is_secret(name):
            redacted.append(name)
            continue
        keep[name] = without_credentials(env[name])
        if keep[name] != env[name]:
            cleaned.append(name)
    return {"variables": keep, "redacted": redacted, "credentials_removed": cleaned}


def installed_packages() -> list[str]:
    """`name==version` of every distribution the running interpreter sees, as `pip freeze` lists them."""
    from importlib import metadata

    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"]
            version = dist.version
        except (KeyError, OSError, ValueError):
            continue
        if not name or name.lower() in seen:
            continue  # the first on sys.path wins, as for imports
        seen[name.lower()] = f"{name}=={version}"
    return [seen[key] for key in sorted(seen)]


def git_patch(cwd: str | os.PathLike[str] | None = None, timeout: float = 5.0) -> str | None:
    """`git diff HEAD` of the work tree (tracked files), or None outside git or when clean."""
    try:
        out = subprocess.run(
            ["git", "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff"],
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    if not out:
        return None
    if len(out) > MAX_PATCH_BYTES:
        note = f"\n# tracktui: patch cut at {MAX_PATCH_BYTES} bytes of {len(out)}\n".encode()
        out = out[:MAX_PATCH_BYTES] + note
    return out.decode("utf-8", "replace")


def machine(cwd: str | None = None) -> dict[str, Any]:
    """The computer a run ran on: CPU model and count, memory, NVIDIA GPUs, the size of the
    disk of `cwd`, the OS. Cheap (no subprocess); what cannot be read is left out."""
    out: dict[str, Any] = {"cpu_count": os.cpu_count(), "os": platform.platform()}
    try:
        text = safe_read.read_text("/proc/cpuinfo", cap=4 * 1024 * 1024, errors="replace")
    except OSError:
        text = ""
    model = (
        next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
        or platform.processor()
    )
    if model:
        out["cpu_model"] = model
    try:
        out["memory_total"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        pass
    try:
        out["disk_total"] = shutil.disk_usage(cwd or os.getcwd()).total
    except OSError:
        pass
    names = _gpu_names()
    if names:
        out["gpu"], out["gpu_count"] = ", ".join(sorted(set(names))), len(names)
    return {k: v for k, v in out.items() if v not in (None, "")}


def _gpu_names() -> list[str]:
    from store.writing.system_metrics import Gpus

    gpus = Gpus()
    try:
        return [str(gpus.nvml.nvmlDeviceGetName(handle)) for handle in gpus.handles]
    except Exception:  # noqa: BLE001 - NVMLError of a device that does not say its name
        return []
    finally:
        gpus.close()


def record_environment(run: Run, *, patch: bool = True) -> list[str]:
    """Write the packages, the environment variables and (when the tree is dirty) the git diff.

    Returns the names of the variables whose values were left out or cleaned of credentials,
    for the caller to tell the user.
    """
    header = f"# packages of {sys.executable} (Python {sys.version.split()[0]})\n"
    run.log_text(PACKAGES_FILE, header + "\n".join(installed_packages()) + "\n")
    meta = run._meta if isinstance(getattr(run, "_meta", None), dict) else {}
    variables = selected_environment()
    variables[machine_file.MACHINE_KEY] = machine(meta.get("cwd"))
    run.log_text(ENV_FILE, json.dumps(variables, indent=1, ensure_ascii=False))
    git = meta.get("git")
    if patch and isinstance(git, dict) and git.get("dirty"):
        diff = git_patch(meta.get("cwd"))
        if diff:
            run.log_text(PATCH_FILE, diff)
    return [*variables["redacted"], *variables["credentials_removed"]]
