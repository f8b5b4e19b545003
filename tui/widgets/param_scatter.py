"""ParamScatter: one param against one metric across runs, one point per run (or per group,
with its min–max as a whisker, each in its group's colour).

Answers questions like "which degree gives the lowest mse?" at a glance. A categorical
param gets one slot on the x axis per value, with runs sharing a value spread a little
sideways so they do not hide each other.
"""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from tui.shaping.sanitize import printable_line
from tui.shaping.scatter import ScatterData


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
        plt.xlabel(printable_line(data.param))
        plt.ylabel(printable_line(data.metric))
        plt.yscale("log" if data.log_y else "linear")
        if data.xticks is not None:
            plt.xticks(data.xticks[0], [printable_line(label) for label in data.xticks[1]])
        ok = np.isfinite(data.x) & np.isfinite(data.y)
        if data.log_y:
            ok &= data.y > 0
        if data.low is not None and data.high is not None:
            for i in np.flatnonzero(ok):
                color = data.colors[i] if data.colors else data.color
                plt.plot(
                    [float(data.x[i])] * 2, [float(data.low[i]), float(data.high[i])], color=color, marker="braille"
                )
        if data.colors:
            for color in dict.fromkeys(data.colors):
                same = ok & np.array([c == color for c in data.colors])
                if same.any():
                    plt.scatter(data.x[same].tolist(), data.y[same].tolist(), color=color, marker="hd")
        else:
            if data.best is not None:
                ok[data.best] = False
            if ok.any():
                plt.scatter(data.x[ok].tolist(), data.y[ok].tolist(), color=data.color, marker="hd")
        if data.best is not None and not data.colors:  # points in their groups' colours keep them; the note names it
            plt.scatter([float(data.x[data.best])], [float(data.y[data.best])], color=data.best_color, marker="hd")
        if data.categorical and data.categories:
            plt.xlim(-0.5, len(data.categories) - 0.5)
        self.refresh()
