"""Which preview an artifact gets, chosen from its name and its first bytes only.

Nothing here opens, imports or deserialises an artifact: the caller reads at most
`HEAD_BYTES` and passes them in. Formats that run code when loaded (pickle, joblib,
torch checkpoints and other opaque model blobs) are recognised by extension *and* by
their magic bytes, and always get the metadata + hex view.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath

HEAD_BYTES = 8192
"""How much of a file kind detection looks at."""


class ArtifactKind(str, Enum):
    TEXT = "text"
    JSON = "json"
    YAML = "yaml"
    CSV = "csv"
    TSV = "tsv"
    PARQUET = "parquet"
    IMAGE = "image"
    MLMODEL = "mlmodel"
    UNSAFE = "unsafe"
    """A serialised object whose loading can execute code: never loaded, shown as bytes."""
    BINARY = "binary"


@dataclass(frozen=True)
class KindGuess:
    kind: ArtifactKind
    language: str | None = None
    """A Pygments lexer name for text, or None for plain text."""
    note: str = ""
    """Something the user should know about the choice (why a file is not loaded, bad UTF-8)."""


UNSAFE_EXTENSIONS = {
    ".pkl": "a Python pickle",
    ".pickle": "a Python pickle",
    ".joblib": "a joblib dump",
    ".pt": "a PyTorch checkpoint",
    ".pth": "a PyTorch checkpoint",
    ".ckpt": "a model checkpoint",
    ".bin": "an opaque binary (often a pickled PyTorch state)",
    ".dill": "a dill pickle",
    ".cloudpickle": "a cloudpickle",
    ".npy": "a NumPy array (may hold pickled objects)",
    ".npz": "a NumPy archive (may hold pickled objects)",
    ".sav": "a pickled model",
    ".keras": "a Keras model",
    ".h5": "an HDF5 model",
    ".hdf5": "an HDF5 file",
}
IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".md": "markdown",
    ".rst": "rst",
    ".sh": "bash",
    ".bash": "bash",
    ".zsh": "bash",
    ".diff": "diff",
    ".patch": "diff",
    ".html": "html",
    ".htm": "html",
    ".xml": "xml",
    ".css": "css",
    ".js": "javascript",
    ".ts": "typescript",
    ".sql": "sql",
    ".r": "r",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".hpp": "cpp",
    ".rs": "rust",
    ".go": "go",
    ".java": "java",
    ".jl": "julia",
    ".lua": "lua",
    ".tex": "latex",
    ".dockerfile": "docker",
    ".ipynb": "json",
    ".tcss": "scss",
    ".proto": "protobuf",
}
NAMED_LANGUAGES = {
    "dockerfile": "docker",
    "makefile": "make",
    "mlmodel": "yaml",
    "requirements.txt": None,
    "conda.yaml": "yaml",
    "python_env.yaml": "yaml",
}


def image_format(head: bytes) -> str | None:
    """'PNG', 'JPEG' or 'GIF' from the magic bytes, else None."""
    for magic, name in IMAGE_MAGIC:
        if head.startswith(magic):
            return name
    return None


def looks_like_pickle(head: bytes) -> bool:
    """Pickle protocol 2+ starts with PROTO (0x80) and a protocol number."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def looks_like_text(head: bytes) -> bool:
    """No NUL bytes and few control characters: text, whatever its encoding errors."""
    if not head:
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls <= len(head) // 20


def valid_utf8(head: bytes, truncated: bool) -> bool:
    """Whether `head` is UTF-8, allowing a character cut in half at the end of a truncated read."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return truncated and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"


def language_for(name: str) -> str | None:
    """The Pygments lexer for a file name, or None for plain text."""
    lower = PurePath(name).name.lower()
    if lower in NAMED_LANGUAGES:
        return NAMED_LANGUAGES[lower]
    return LANGUAGES.get(PurePath(lower).suffix)


def detect_kind(name: str, head: bytes, *, size: int | None = None) -> KindGuess:
    """Choose the preview for a file called `name` whose first bytes are `head`.

    `size` (the whole file's) tells whether `head` is the entire file, which matters
    only for the UTF-8 check at its end.
    """
    base = PurePath(name).name
    suffix = PurePath(base.lower()).suffix
    truncated = size is None or size > len(head)
    if suffix in UNSAFE_EXTENSIONS:
        note = f"{UNSAFE_EXTENSIONS[suffix]}: not loaded, loading it could run code"
        return KindGuess(ArtifactKind.UNSAFE, note=note)
    if looks_like_pickle(head):
        return KindGuess(ArtifactKind.UNSAFE, note="looks like a Python pickle: not loaded, loading it could run code")
    if base == "MLmodel":
        return KindGuess(ArtifactKind.MLMODEL, language="yaml")
    if image_format(head):
        return KindGuess(ArtifactKind.IMAGE, note=image_format(head) or "")
    if head.startswith(PARQUET_MAGIC) or suffix == ".parquet":
        return (
            KindGuess(ArtifactKind.PARQUET)
            if head.startswith(PARQUET_MAGIC)
            else KindGuess(ArtifactKind.BINARY, note="named .parquet but has no Parquet header")
        )
    if head.startswith(ZIP_MAGIC):
        return KindGuess(ArtifactKind.BINARY, note="a zip archive (not opened)")
    if not looks_like_text(head):
        return KindGuess(ArtifactKind.BINARY)
    bad_utf8 = "not valid UTF-8: undecodable bytes are shown as \N{REPLACEMENT CHARACTER}"
    note = "" if valid_utf8(head, truncated) else bad_utf8
    language = language_for(base)
    if suffix == ".json":
        return KindGuess(ArtifactKind.JSON, language="json", note=note)
    if suffix in (".yaml", ".yml"):
        return KindGuess(ArtifactKind.YAML, language="yaml", note=note)
    if suffix == ".csv":
        return KindGuess(ArtifactKind.CSV, note=note)
    if suffix == ".tsv" or suffix == ".tab":
        return KindGuess(ArtifactKind.TSV, note=note)
    return KindGuess(ArtifactKind.TEXT, language=language, note=note)


def human_size(n: int | None) -> str:
    """Bytes in a short form: `512 B`, `1.5 KB`, `12.0 MB` (powers of 1024)."""
    if n is None:
        return "?"
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    return f"{n} B"
