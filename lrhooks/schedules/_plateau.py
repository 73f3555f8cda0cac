"""Stateful schedules: reduce on plateau, PyTorch's rule (`ReduceLROnPlateau`) and timm's.

`schedule(step)` is the current rate whatever the step, and each
`report(value)` applies one metric observation with exactly the rules of
`torch.optim.lr_scheduler.ReduceLROnPlateau.step(value)`. It is a
`StatefulSchedule`: its `version` changes on each reduction, so a
`LearningRateSetterHook` driving it applies the new rate from the next run on.
`lrhooks.plateau.PlateauHook` reports a metric tensor and checkpoints the
state. `TimmPlateau` is timm's `PlateauLRScheduler`: timm's warmup by reports,
then the same rule. This module never imports TensorFlow (nor numpy).
"""

import math
import numbers
from typing import Any, Dict

from lrhooks import checks
from lrhooks.schedules._base import Schedule, StatefulSchedule, documented

__all__ = ["ReduceLROnPlateau", "TimmPlateau", "reduce_lr_on_plateau", "timm_plateau",
           "metric_value", "MODES",
           "THRESHOLD_MODES", "STATE_KEYS"]

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")
STATE_KEYS = ("best", "num_bad", "cooldown_counter", "rate", "reports")


def _is_array(value) -> bool:
    """A numpy array or scalar (told by its interface; numpy is not imported here)."""
    return hasattr(value, "__array__") and hasattr(value, "dtype")


def metric_value(value) -> float:
    """A reported metric as a float: a real number or a numpy scalar (not a bool)."""
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) or _is_array(value)):
        raise TypeError(f"`value` must be a real number, got {value!r}")
    return float(value)


def _state_count(key: str, value) -> int:
    """A count read back from a state dict (possibly as a float64), as an int >= 0."""
    number = float(value)
    if not (number >= 0 and number.is_integer()):
        raise ValueError(f"`state` {key} must be an integer >= 0, got {value!r}")
    return int(number)


class ReduceLROnPlateau(Schedule, StatefulSchedule):
    """A rate that is multiplied by `factor` when a reported metric stops improving.

    `report(value)` follows PyTorch's `ReduceLROnPlateau.step` exactly: a value is
    better than `best` when (mode, threshold_mode) = (min, rel): `value < best *
    (1 - threshold)`; (min, abs): `value < best - threshold`; (max, rel): `value >
    best * (1 + threshold)`; (max, abs): `value > best + threshold`. A better value
    becomes `best` and clears `num_bad`, otherwise `num_bad += 1`. During cooldown
    (`cooldown_counter > 0`) the counter counts down and `num_bad` is reset to 0.
    When `num_bad > patience` the rate becomes `max(rate * factor, min_lr)` (kept
    only if it drops by more than `eps`), then `cooldown_counter = cooldown` and
    `num_bad = 0`. A NaN value is never better, so it counts as a bad report.

    Attributes:
      version: Incremented on each reduction and each `load_state`, for
        `LearningRateSetterHook` (the `StatefulSchedule` protocol).
      MODES, THRESHOLD_MODES: The allowed `mode` and `threshold_mode` values.
      STATE_KEYS: The keys of `state()`, in the order a checkpoint stores them.
    """

    MODES = MODES
    THRESHOLD_MODES = THRESHOLD_MODES
    STATE_KEYS = STATE_KEYS

    def __init__(self, learning_rate: float, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8):
        """Validates the arguments (one-line TypeError/ValueError naming the argument).

        Args:
          learning_rate: The initial rate, a finite number >= 0.
          mode: "min" (lower is better, e.g. a loss) or "max" (e.g. accuracy).
          factor: Multiplier of the rate on a reduction, 0 < factor < 1.
          patience: Bad reports tolerated before reducing (an integer >= 0).
          threshold: Minimum improvement that counts as better (>= 0).
          threshold_mode: "rel" (relative to `best`) or "abs".
          cooldown: Reports to wait after a reduction before counting bad ones.
          min_lr: Lower bound of the rate (>= 0).
          eps: Reductions of the rate by at most `eps` are skipped (>= 0).
        """
        self.initial_rate = checks.real("learning_rate", learning_rate)
        self.mode = checks.choice("mode", mode, MODES)
        self.factor = checks.interval("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
        self.patience = checks.non_negative_count("patience", patience)
        self.threshold = checks.real("threshold", threshold)
        self.threshold_mode = checks.choice("threshold_mode", threshold_mode, THRESHOLD_MODES)
        self.cooldown = checks.non_negative_count("cooldown", cooldown)
        self.min_lr = checks.real("min_lr", min_lr)
        self.eps = checks.real("eps", eps)
        self.version = 0
        self.rate = self.initial_rate
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad = 0
        self.cooldown_counter = 0
        self.reports = 0

    def _value(self, step: int) -> float:
        return self.rate

    def is_better(self, value: float, best: float) -> bool:
        """PyTorch's `_is_better` for this mode and threshold mode."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < best * (1.0 - self.threshold)
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (self.threshold + 1.0)
        return value > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def report(self, value: float) -> bool:
        """Applies one observation of the metric; returns True when the rate was reduced.

        Raises:
          TypeError: `value` is not a real number.
        """
        value = metric_value(value)
        self.reports += 1
        if self.is_better(value, self.best):
            self.best = value
            self.num_bad = 0
        else:
            self.num_bad += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad = 0  # bad reports during cooldown are ignored
        reduced = False
        if self.num_bad > self.patience:
            new_rate = max(self.rate * self.factor, self.min_lr)
            if self.rate - new_rate > self.eps:
                self.rate = new_rate
                self.version += 1
                reduced = True
            self.cooldown_counter = self.cooldown
            self.num_bad = 0
        return reduced

    def state(self) -> Dict[str, float]:
        """The mutable state: best, num_bad, cooldown_counter, rate, reports."""
        return {"best": self.best, "num_bad": self.num_bad,
                "cooldown_counter": self.cooldown_counter, "rate": self.rate,
                "reports": self.reports}

    def load_state(self, state: Dict[str, Any]) -> None:
        """Restores a `state()`; bumps `version` so that the setter hook re-applies the rate.

        Raises:
          ValueError: A key is missing or a value is out of range.
        """
        missing = [key for key in STATE_KEYS if key not in state]
        if missing:
            raise ValueError(f"`state` lacks {', '.join(missing)}; expected the keys "
                             f"{', '.join(STATE_KEYS)}")
        best = float(state["best"])
        if math.isnan(best):
            raise ValueError(f"`state` best must be a number or an infinity, got {best!r}")
        counts = {key: _state_count(key, state[key])
                  for key in ("num_bad", "cooldown_counter", "reports")}
        self.rate = checks.rate(state["rate"], "`state` rate")
        self.best = best
        self.num_bad = counts["num_bad"]
        self.cooldown_counter = counts["cooldown_counter"]
        self.reports = counts["reports"]
        self.version += 1

    def config_spec(self) -> str:
        """Its form in the flag language: the factory call that builds it fresh (no state)."""
        return (f"reduce_lr_on_plateau(learning_rate={self.initial_rate!r}, mode={self.mode!r}, "
                f"factor={self.factor!r}, patience={self.patience!r}, "
                f"threshold={self.threshold!r}, threshold_mode={self.threshold_mode!r}, "
                f"cooldown={self.cooldown!r}, min_lr={self.min_lr!r}, eps={self.eps!r})")

    def __repr__(self) -> str:
        config = self.config_spec()
        return (f"{type(self).__name__}{config[config.index('('):]} "
                f"[rate={self.rate!r}, best={self.best!r}, num_bad={self.num_bad}, "
                f"cooldown_counter={self.cooldown_counter}, reports={self.reports}]")


@documented
def reduce_lr_on_plateau(learning_rate: float, mode: str = "min", factor: float = 0.1,
                         patience: int = 10, threshold: float = 1e-4,
                         threshold_mode: str = "rel", cooldown: int = 0, min_lr: float = 0.0,
                         eps: float = 1e-8) -> ReduceLROnPlateau:
    """A fresh `ReduceLROnPlateau` (PyTorch's rule), the flag language's form of it.

        rate = learning_rate, times `factor` (down to `min_lr`) each time the reported
               metric has not improved for more than `patience` reports

    It is stateful: the rate changes only when a metric is reported (by
    `lrhooks.PlateauHook` or `schedule.report(value)`); a program that reports
    none trains at `learning_rate`. `lrhooks.preview` shows that initial rate
    with a note; the reference trainer rejects it (it reports no metric).

    Args:
      learning_rate: The initial rate, a finite number >= 0.
      mode: "min" (lower is better) or "max".
      factor: Multiplier of the rate on a reduction, 0 < factor < 1.
      patience: Bad reports tolerated before reducing (an integer >= 0).
      threshold: Minimum improvement that counts as better (>= 0).
      threshold_mode: "rel" or "abs".
      cooldown: Reports to wait after a reduction (an integer >= 0).
      min_lr: Lower bound of the rate (>= 0).
      eps: Reductions by at most `eps` are skipped (>= 0).

    Returns:
      A `ReduceLROnPlateau` with no reports yet.

    Examples:
      >>> s = reduce_lr_on_plateau(1.0, patience=1, factor=0.5)
      >>> [s.report(loss) for loss in (3.0, 3.0, 3.0)]
      [False, False, True]
      >>> s(0), s.version
      (0.5, 1)
    """
    return ReduceLROnPlateau(learning_rate, mode, factor, patience, threshold, threshold_mode,
                             cooldown, min_lr, eps)


class TimmPlateau(ReduceLROnPlateau):
    """timm's `PlateauLRScheduler`: its warmup, then PyTorch's `ReduceLROnPlateau`.

    Stateful, driven by reports: report `k` (from 1) is timm's `step(k, metric)`
    (once per epoch, as timm requires). While `k <= warmup_t` the rate after it
    is `warmup_lr_init + k * (learning_rate - warmup_lr_init) / warmup_t` and the
    metric is not used; later reports go to the plateau rule (mode 'max' by
    default, as timm), starting from the rate the warmup ended at.
    """

    def __init__(self, learning_rate: float, decay_rate: float = 0.1, patience_t: int = 10,
                 threshold: float = 1e-4, cooldown_t: int = 0, warmup_t: int = 0,
                 warmup_lr_init: float = 0.0, lr_min: float = 0.0, mode: str = "max"):
        """Validates the arguments (one-line TypeError/ValueError naming the argument)."""
        decay_rate = checks.interval("decay_rate", decay_rate, 0.0, 1.0, low_open=True,
                                     high_open=True)
        patience_t = checks.non_negative_count("patience_t", patience_t)
        cooldown_t = checks.non_negative_count("cooldown_t", cooldown_t)
        super().__init__(learning_rate, mode=mode, factor=decay_rate, patience=patience_t,
                         threshold=threshold, cooldown=cooldown_t, min_lr=lr_min)
        self.warmup_t = checks.non_negative_count("warmup_t", warmup_t)
        self.warmup_lr_init = checks.real("warmup_lr_init", warmup_lr_init)
        if self.warmup_t:
            self.rate = self.warmup_lr_init

    def report(self, value: float) -> bool:
        """Applies one report (timm's `step(k, metric)`); True when the plateau rule reduced."""
        if self.reports >= self.warmup_t:
            return super().report(value)
        metric_value(value)
        self.reports += 1
        warmup_step = (self.initial_rate - self.warmup_lr_init) / self.warmup_t
        self.rate = self.warmup_lr_init + self.reports * warmup_step
        self.version += 1
        return False

    def config_spec(self) -> str:
        """Its form in the flag language: the factory call that builds it fresh (no state)."""
        return (f"timm_plateau(learning_rate={self.initial_rate!r}, "
                f"decay_rate={self.factor!r}, patience_t={self.patience!r}, "
                f"threshold={self.threshold!r}, cooldown_t={self.cooldown!r}, "
                f"warmup_t={self.warmup_t!r}, warmup_lr_init={self.warmup_lr_init!r}, "
                f"lr_min={self.min_lr!r}, mode={self.mode!r})")


@documented
def timm_plateau(learning_rate: float, decay_rate: float = 0.1, patience_t: int = 10,
                 threshold: float = 1e-4, cooldown_t: int = 0, warmup_t: int = 0,
                 warmup_lr_init: float = 0.0, lr_min: float = 0.0,
                 mode: str = "max") -> TimmPlateau:
    """A fresh timm `PlateauLRScheduler` (`--sched plateau`): warmup, then reduce on plateau.

        after k reports:  rate = warmup_lr_init + k * (learning_rate - warmup_lr_init) / warmup_t
                          (k <= warmup_t; those reports' metrics are not used)
        then:             rate times `decay_rate` (down to `lr_min`) each time the
                          metric has not improved for more than `patience_t` reports

    Stateful like `reduce_lr_on_plateau` (report once per epoch, with
    `lrhooks.PlateauHook` or `schedule.report(value)`); timm's plateau has no
    `warmup_prefix` and no per-update stepping. Unlike timm, whose plateau state
    is not saved in checkpoints, `PlateauHook` checkpoints it.

    Args:
      learning_rate: The optimizer's rate (where the warmup ends), a finite number >= 0.
      decay_rate: The factor of a reduction, 0 < decay_rate < 1.
      patience_t: Bad reports tolerated before reducing (an integer >= 0).
      threshold: Minimum relative improvement that counts as better (>= 0).
      cooldown_t: Reports to wait after a reduction (an integer >= 0).
      warmup_t: Warmup reports (epochs), an integer >= 0.
      warmup_lr_init: The rate before the first report, a finite number >= 0.
      lr_min: Lower bound of the rate (>= 0).
      mode: "max" (timm's default: higher is better, e.g. top-1) or "min".

    Returns:
      A `TimmPlateau` with no reports yet.

    Examples:
      >>> s = timm_plateau(1.0, decay_rate=0.5, patience_t=0, warmup_t=2)
      >>> s(0), s.report(0.5), s(0), s.report(0.5), s(0)
      (0.0, False, 0.5, False, 1.0)
      >>> s.report(0.4), s.report(0.3), s(0)
      (False, True, 0.5)
    """
    return TimmPlateau(learning_rate, decay_rate, patience_t, threshold, cooldown_t, warmup_t,
                       warmup_lr_init, lr_min, mode)
