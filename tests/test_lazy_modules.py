"""The numpy and pandas stand-ins of the first screen (`tui.shaping.lazy_modules`): a use imports the
module; a probe (`hasattr`, `inspect`, copy, pickle) neither imports it nor recurses."""

from __future__ import annotations

import copy
import pickle

import pytest

from tui.shaping.lazy_modules import LazyModule


def test_probes_and_copies_neither_import_nor_recurse() -> None:
    lazy = LazyModule("tracktui_no_such_module")  # importing it would fail: a probe must not try
    assert not hasattr(lazy, "__wrapped__")
    assert "imported on first use" in repr(copy.copy(lazy)) and "first use" in repr(copy.deepcopy(lazy))
    assert "first use" in repr(pickle.loads(pickle.dumps(lazy)))
    with pytest.raises(ModuleNotFoundError):
        lazy.anything  # noqa: B018 - a use imports


def test_a_use_gives_the_modules_own_attribute() -> None:
    assert LazyModule("json").dumps is __import__("json").dumps
