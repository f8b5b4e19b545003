"""The test suite's own promises: skipped tests say why, and the slow modules can be left out."""

from __future__ import annotations

import pytest

from tests.children import REPO
from tests.conftest import SLOW_MODULES


def test_skips_show_their_reason_and_slow_is_a_registered_marker() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    options = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    report = next(opt for opt in options["addopts"].split() if opt.startswith("-r"))
    assert {"f", "E", "s"} <= set(report[2:]), "failures, errors and skips (with reasons) are summed up"
    assert any(marker.startswith("slow:") for marker in options.get("markers", []))


def test_every_slow_module_exists_and_the_readme_shows_the_fast_path() -> None:
    assert all((REPO / "tests" / f"{name}.py").is_file() for name in SLOW_MODULES)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    two_commands = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    assert "MLflow" in two_commands and '-m "not slow"' in two_commands
