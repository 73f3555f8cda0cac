"""`UserError`, the one-line user mistake, in a module that imports no TensorFlow: the run lock
(`run_lock.py`) raises it before TensorFlow is loaded (a finished run's rerun never loads it,
`finished_runs.py`). `faults.UserError` is this class."""


class UserError(Exception):
    """A mistake in the user's input: reported in one line, no traceback (exit 1)."""
