"""The exponential ramp of a learning-rate range test (`lrhooks.range_test`'s hook drives it).

This module never imports TensorFlow.
"""

from lrhooks import checks
from lrhooks.schedules._base import Schedule, documented, factory, field

__all__ = ["LRRangeTestSchedule", "range_test_schedule"]


@factory("range_test_schedule")
class LRRangeTestSchedule(Schedule):
    """The exponential ramp of a range test; see `range_test_schedule`."""

    min_lr: float = field(checks.positive)
    max_lr: float = field(checks.positive)
    num_steps: int = field(checks.integer_at_least, minimum=2)
    start_step: int = field(checks.non_negative_count, 0)

    def __post_init__(self):
        super().__post_init__()
        if not self.min_lr < self.max_lr:
            raise ValueError(f"`min_lr` must be < `max_lr`, got min_lr={self.min_lr!r} and "
                             f"max_lr={self.max_lr!r}")

    def _value(self, step: int) -> float:
        i = step - self.start_step
        if i <= 0:
            return self.min_lr
        if i >= self.num_steps - 1:
            return self.max_lr
        return self.min_lr * (self.max_lr / self.min_lr) ** (i / (self.num_steps - 1))


@documented
def range_test_schedule(min_lr: float, max_lr: float, num_steps: int,
                        start_step: int = 0) -> LRRangeTestSchedule:
    """The exponential ramp from `min_lr` to `max_lr` over `num_steps` steps.

        rate(step) = min_lr * (max_lr / min_lr) ** (i / (num_steps - 1)),  i = step - start_step

    for `0 <= i <= num_steps - 1` (exactly `min_lr` at i = 0 and `max_lr` at the
    last step); `min_lr` before `start_step`, `max_lr` after the ramp.

    Args:
      min_lr: The first rate, a finite number > 0.
      max_lr: The last rate, a finite number > `min_lr`.
      num_steps: Steps of the ramp, an integer >= 2.
      start_step: The global step the ramp starts at (0 for a fresh model).

    Examples:
      >>> s = range_test_schedule(1e-4, 1.0, num_steps=5)
      >>> s(0), s(2), s(4)
      (0.0001, 0.01, 1.0)
    """
    return LRRangeTestSchedule(min_lr, max_lr, num_steps, start_step)
