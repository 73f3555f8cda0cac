"""Review a learning-rate schedule before training: a terminal chart, key points, TensorBoard.

The library side: `render_chart`, `key_points`, `format_key_points`, `series_steps` and
`write_series` are plain functions of a schedule. Importing this package imports neither absl
nor TensorFlow (`write_series` imports TensorFlow when called). The command line lives in
`lrhooks.preview.cli` (see there)::

    python -m lrhooks.preview --lr_schedule=piecewise_constant --lr_boundaries=2000,3000 \\
        --lr_values=0.1,0.01,0.001 --steps=3500 [--logdir=previews/piecewise] [--log_scale]
    python -m lrhooks.preview --trainer_flagfile=models/resnet_mnist/configs/resnet.flags

Label convention: the value at step `s` is `schedule(s)`, the rate of the run that moves
`global_step` from `s` to `s + 1`. In training, TF's `SummarySaverHook` records that same rate at
step `s + 1`, so a training run's `learning_rate` chart is this one moved right by one step.

The library functions never read flags.
"""

from lrhooks.preview._views import (EXACT_SCAN_STEPS, MAX_TABLE_BREAKPOINTS, MIN_HEIGHT,
                                    MIN_WIDTH, TENSORBOARD_SAMPLES, format_key_points, key_points,
                                    render_chart, series_steps, stateful_note, write_series,
                                    write_series_file)

__all__ = ["render_chart", "key_points", "format_key_points", "series_steps", "write_series",
           "write_series_file", "stateful_note", "MIN_WIDTH", "MIN_HEIGHT", "EXACT_SCAN_STEPS",
           "MAX_TABLE_BREAKPOINTS", "TENSORBOARD_SAMPLES"]

# The command line's names, reachable here for one release: they live in `lrhooks.preview.cli`.
_CLI_NAMES = ("FLAGS", "define_flags", "trainer_args", "parse_flags", "main")


def __getattr__(name: str):
    if name in _CLI_NAMES:
        from lrhooks.preview import cli  # pylint: disable=import-outside-toplevel  (absl)
        return getattr(cli, name)
    raise AttributeError(f"module 'lrhooks.preview' has no attribute {name!r}")
