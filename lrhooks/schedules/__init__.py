"""Learning-rate schedules as plain, immutable Python values (no TensorFlow inside).

A schedule maps an integer global step (>= 0) to a Python float:

    >>> from lrhooks import schedules
    >>> s = schedules.warmup(schedules.cosine_decay(0.1, 1000), warmup_steps=100)
    >>> s(0), s(50), s(100), s(600)
    (0.0, 0.05, 0.1, 0.05)

Built-in schedules are frozen dataclasses, validated when built, equal and
hashable by their arguments, with a `repr` that is the factory call, so
`eval(repr(s), vars(lrhooks.schedules)) == s` and
`lrhooks.spec.from_spec(lrhooks.spec.spec(s)) == s` (nested ones included).

The package, one family per module (all private; import from here):

  `_base`         `Schedule`, the `StatefulSchedule` protocol, the field machinery
  `_tf1`          the `tf.compat.v1.train` family: constant, piecewise_constant,
                  exponential/inverse_time/natural_exp/polynomial/cosine decays
  `_composition`  warmup, sequential, scaled, linear_scaling
  `_pytorch`      step_decay, multistep_decay, one_cycle, cyclic (PyTorch's schedulers)
  `_plateau`      `ReduceLROnPlateau`, a stateful schedule (its hook: `lrhooks.plateau`)
  `_range_test`   `range_test_schedule`, the range-test ramp (its hook: `lrhooks.range_test`)

`__all__` lists the schedule classes and the factories that the schedule flag
language (`lrhooks.spec`) accepts. `range_test_schedule` is a name of this
package (so `eval(repr(s), vars(lrhooks.schedules))` rebuilds a ramp too) but
not a spec factory: a range test is started by its program, not by a flag.
"""

from lrhooks.schedules._base import Number, Schedule, StatefulSchedule
from lrhooks.schedules._composition import (LinearScaling, Scaled, Sequential, Warmup,
                                            linear_scaling, scaled, sequential, warmup)
from lrhooks.schedules._plateau import ReduceLROnPlateau
from lrhooks.schedules._pytorch import (Cyclic, MultiStepDecay, OneCycle, StepDecay, cyclic,
                                        multistep_decay, one_cycle, step_decay)
from lrhooks.schedules._range_test import LRRangeTestSchedule, range_test_schedule
from lrhooks.schedules._tf1 import (Constant, CosineDecay, CosineDecayRestarts,
                                    ExponentialDecay, InverseTimeDecay, LinearCosineDecay,
                                    NaturalExpDecay, PiecewiseConstant, PolynomialDecay,
                                    constant, cosine_decay, cosine_decay_restarts,
                                    exponential_decay, inverse_time_decay,
                                    linear_cosine_decay, natural_exp_decay,
                                    piecewise_constant, polynomial_decay)

__all__ = [
    # The value type and the stateful protocol.
    "Schedule", "StatefulSchedule",
    # tf.compat.v1.train family.
    "Constant", "PiecewiseConstant", "ExponentialDecay", "InverseTimeDecay",
    "NaturalExpDecay", "PolynomialDecay", "CosineDecay", "CosineDecayRestarts",
    "LinearCosineDecay", "constant", "piecewise_constant", "exponential_decay",
    "inverse_time_decay", "natural_exp_decay", "polynomial_decay", "cosine_decay",
    "cosine_decay_restarts", "linear_cosine_decay",
    # Composition.
    "Warmup", "Sequential", "Scaled", "LinearScaling", "warmup", "sequential", "scaled",
    "linear_scaling",
    # PyTorch family.
    "StepDecay", "MultiStepDecay", "OneCycle", "Cyclic", "step_decay", "multistep_decay",
    "one_cycle", "cyclic",
    # Stateful and range-test schedules (classes only: not spec factories).
    "ReduceLROnPlateau", "LRRangeTestSchedule",
]
