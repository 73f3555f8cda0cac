"""PNG plots of a training run: the applied rate (and every scheduled value), loss, accuracy.

The library side: `read_scalars`, `pick_series`, `draw_figure` (a matplotlib Figure to
inspect), `plot_series` and `write_plots` are plain functions (matplotlib with the Agg backend, imported when drawing: importing this package
imports neither matplotlib nor TensorFlow). The command line lives in `lrhooks.plot.cli`::

    python -m lrhooks.plot --logdir=runs/quick [--out=plots/quick]

It reads any event files (a TF1 program's too): TensorBoard without a server.
"""

from lrhooks.plot._figures import (DEFAULT_FIGURES, NoEventsError, draw_figure, figure_drawing,
                                   is_complete_png, label_smoothing_floor, pick_series,
                                   plot_series, read_scalars, write_plots)

__all__ = ["read_scalars", "pick_series", "plot_series", "draw_figure", "figure_drawing",
           "write_plots", "is_complete_png", "label_smoothing_floor",
           "DEFAULT_FIGURES", "NoEventsError"]
