"""The drawing surface every chart of a report uses: one colour-blind-safe palette (Okabe-Ito), a
panel drawn straight onto its figure (`Panel`: no matplotlib Axes, whose making cost more than the
drawing), and the figure as the PNG a report embeds, in 256 colours.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import io
from collections.abc import Iterator

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import (
    Bbox,
    BboxTransformFrom,
    BboxTransformTo,
    TransformedBbox,
    offset_copy,
)
from PIL import Image

PALETTE = {
    "this_year": "#0B0C0C",  # near black, solid line, circles
    "baseline": "#767676",  # grey, dashed line, squares
    "limits": "#A0A0A0",
    "target": "#009E73",  # Okabe-Ito bluish green
    "improvement": "#0072B2",  # Okabe-Ito blue, as Making Data Count
    "concern": "#E69F00",  # Okabe-Ito orange, as Making Data Count
    "neutral": "#CC79A7",  # Okabe-Ito reddish purple
    "common": "#A0A0A0",
    "grid": "#E5E5E5",
    "text": "#0B0C0C",
}
DPI = 100
EXACT_COLOURS = [  # as 0-255 RGB: black (axes, ticks), white, then the palette, which wins a tie
    np.round(np.array(to_rgb(c)) * 255).astype(int) for c in ("black", "white", *PALETTE.values())
]
TICK, KEY_PAD = 3.5, 3.5  # points: a tick mark's length and its label's gap; the key's margin
TITLE_PAD, LABEL_PAD, FRAME_WIDTH = 6.0, 4.0, 0.8  # points, as matplotlib's axes have them
TICK_MARK = {  # as matplotlib draws them
    "linestyle": "none",
    "color": "black",
    "markersize": TICK,
    "markeredgewidth": 0.8,
    "clip_on": False,
    "zorder": 2.5,
}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Matplotlib makes thousands of small objects a chart, and every few hundred of them would set
    off a garbage collection, some walking all the process holds (pandas, pyarrow): a sixth of the
    charts' time. Paused while one is built or drawn; its cycles are collected later as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Panel:
    """One measure's control chart, drawn straight onto the figure in its box of it.

    A matplotlib Axes makes its axis machinery (ticks, locators, four spines, three titles) whether
    or not it is used, and walks it at every draw: a third of a quarter's charting time, for a
    panel that needs none of it, since its limits, ticks and labels are set, not fitted. Months run
    across (one unit each, centred on 0 to `months` - 1), values up from zero to `set_ylim`'s top.
    What is drawn is kept (`title`, `lines`, `texts`) for what reads the chart back."""

    def __init__(self, figure: Figure, box: Bbox, months: int) -> None:
        self.figure = figure
        self.window = TransformedBbox(box, figure.transFigure)  # in pixels, for clipping
        self.limits = Bbox([[-0.5, 0.0], [months - 0.5, 1.0]])
        self.transAxes = BboxTransformTo(self.window)  # 0-1 across and up the panel
        self.transData = BboxTransformFrom(self.limits) + self.transAxes
        self.title: Text | None = None
        self.lines: list[Line2D] = []
        self.texts: list[Text] = []

    def add(self, artist: Artist) -> None:
        """An artist of the panel, kept inside its box unless it says otherwise (`clip_on`)."""
        if artist.get_clip_on():
            artist.set_clip_box(self.window)
        self.figure.add_artist(artist)

    def line(self, x: object, y: object, **style: object) -> Line2D:
        line = Line2D(x, y, **{"transform": self.transData, **style})
        self.add(line)
        self.lines.append(line)
        return line

    def text(self, x: float, y: float, text: str, **style: object) -> Text:
        shown = self.figure.text(x, y, text, **{"transform": self.transData, **style})
        self.texts.append(shown)
        return shown

    def set_title(self, text: str, **style: object) -> None:
        """Above the panel's top left corner, as an Axes' left title."""
        above = offset_copy(self.transAxes, self.figure, y=TITLE_PAD, units="points")
        style = {"va": "baseline", "ha": "left", "transform": above, **style}
        self.title = self.figure.text(0, 1, text, **style)

    def set_ylabel(self, text: str, left: float, **style: object) -> None:
        """Upright, centred on the panel's height, `left` points left of its frame."""
        at = offset_copy(self.transAxes, self.figure, x=-left, units="points")
        style = {"rotation": "vertical", "rotation_mode": "anchor", "transform": at, **style}
        self.text(0, 0.5, text, va="bottom", ha="center", **style)

    def frame(self) -> None:
        """The left and bottom edges, as an Axes' spines."""
        for x, y in (([0, 0], [0, 1]), ([0, 1], [0, 0])):
            self.line(
                x,
                y,
                transform=self.transAxes,
                color="black",
                linewidth=FRAME_WIDTH,
                solid_capstyle="projecting",
                clip_on=False,
                zorder=2.5,
            )

    def set_ylim(self, bottom: float, top: float) -> None:
        self.limits.intervaly = bottom, top

    def get_ylim(self) -> tuple[float, float]:
        return self.limits.y0, self.limits.y1

    def get_title(self) -> str:
        return "" if self.title is None else self.title.get_text()


class PanelFigure(Figure):
    """A theme's figure, with its panels (`panels`) for what reads the chart back."""

    panels: list[Panel]


def wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])


def _exact_palette(palette: list[int]) -> list[int]:
    """An octree palette averages each bucket of colours, so white comes out 254 and the text a shade
    off: the bucket nearest each colour the charts use is given that colour exactly."""
    entries = np.array(palette, dtype=int).reshape(-1, 3)
    for colour in EXACT_COLOURS:
        distance = np.abs(entries - colour).sum(axis=1)
        nearest = int(distance.argmin())
        if distance[nearest] <= 32:
            entries[nearest] = colour
    return entries.ravel().tolist()


@collector_paused()
def png_data_uri(figure: Figure) -> str:
    """The figure as an embeddable data: URI, so the report needs no image files.

    In 256 colours: a chart has a few hundred (its palette and their anti-aliased edges), so the
    PNG is a quarter of the size of a full-colour one, and quicker to encode."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    pixels = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    image = pixels.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette = image.getpalette()
    if palette:
        image.putpalette(_exact_palette(palette))
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
