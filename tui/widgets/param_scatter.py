"""ParamScatter: one param against one metric across runs, one point per run.

Answers questions like "which degree gives the lowest mse?" at a glance. A categorical
param gets one slot on the x axis per value, with runs sharing a value spread a little
sideways so they do not hide each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from textual_plotext import PlotextPlot

from tui.shaping.formatting import printable

RGB = tuple[int, int, int]
FloatArray = npt.NDArray[np.float64]


@dataclass
class ScatterData:
    param: str
    metric: str
    x: FloatArray
    y: FloatArray
    names: list[str]
    color: RGB
    best_color: RGB
    best: int | None = None
    """Index of the best point, when the metric's name says which direction is better."""
    xticks: tuple[list[float], list[str]] | None = None
    log_y: bool = False
    note: str = ""
    categorical: bool = False
    categories: list[str] = field(default_factory=list)


class ParamScatter(PlotextPlot):
    """A plotext scatter plot fed with a `ScatterData`."""

    DEFAULT_CSS = """
    ParamScatter {
        height: 1fr;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: ScatterData | None = None

    def draw(self, data: ScatterData) -> None:
        self.data = data
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel(printable(data.param))
        plt.ylabel(printable(data.metric))
        plt.yscale("log" if data.log_y else "linear")
        if data.xticks is not None:
            plt.xticks(data.xticks[0], [printable(label) for label in data.xticks[1]])
        ok = np.isfinite(data.x) & np.isfinite(data.y)
        if data.log_y:
            ok &= data.y > 0
        if data.best is not None:
            ok[data.best] = False
        if ok.any():
            plt.scatter(data.x[ok].tolist(), data.y[ok].tolist(), color=data.color, marker="hd")
        if data.best is not None:
            plt.scatter([float(data.x[data.best])], [float(data.y[data.best])], color=data.best_color, marker="hd")
        if data.categorical and data.categories:
            plt.xlim(-0.5, len(data.categories) - 0.5)
        self.refresh()
