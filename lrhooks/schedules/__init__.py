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

The package, one module per way a schedule works (all private; import from here):

  `_base`             `Schedule`, the `StatefulSchedule` protocol, `Composite`, the field
                      machinery and `documented` (the shared docstring sections)
  Closed-form decays from a start rate:
  `_decays`           constant, exponential/inverse_time/natural_exp/polynomial decays (TF),
                      optax_exponential_decay
  `_cosine_decays`    cosine_decay, linear_cosine_decay, noisy_linear_cosine_decay (TF),
                      cosine_decay_schedule (optax), swalr (PyTorch)
  `_power_decays`     inverse_sqrt, noam, rsqrt_decay, the Model Garden's power decays
  Cyclic and one-cycle:
  `_cyclic`           cyclic, cyclic_momentum, cosine_annealing (PyTorch; no restarts)
  `_one_cycle`        one_cycle, one_cycle_momentum (PyTorch), cosine/linear_onecycle_schedule
  `_restarts`         cosine_decay_restarts, cosine_annealing_warm_restarts, sgdr_schedule
  Warmup, composition and offsets:
  `_warmup`           warmup, polynomial_warmup, constant_lr, linear_lr
  `_warmup_decays`    warmup_stable_decay, transformers' linear/polynomial/constant *_with_warmup
  `_warmup_cosine`    transformers' cosine *_with_warmup, warmup_cosine_decay_schedule
  `_sequences`        sequential, join_schedules, with_offset
  `_products`         scaled, linear_scaling, product
  Step and multistep:
  `_steps`            piecewise_constant, step_decay, multistep_decay,
                      piecewise_constant_schedule
  `_piecewise_curves` piecewise_interpolate_schedule, step_cosine_decay_with_offset
  Stateful:
  `_plateau`          `ReduceLROnPlateau`, `TimmPlateau` and their factories
  Peer-specific arithmetic:
  `_chained`          chained_scheduler (PyTorch's ChainedScheduler recursion, exactly)
  `_t2t_factors`      t2t_schedule (tensor2tensor's factor strings)
  `_timm_warmup`      timm's warmup (`TimmWarmup`), timm_step, timm_multistep, timm_wsd
  `_timm_cycles`      timm_cosine, timm_tanh, timm_poly (timm's cycles)
  `_range_test`       `range_test_schedule`, the range-test ramp (its hook: `lrhooks.range_test`)

Every factory's docstring states its formula and has an `Examples:` section that
the tests run (`help(schedules.cosine_decay)`).

`__all__` lists the schedule classes and the factories that the schedule flag
language (`lrhooks.spec`) accepts. `range_test_schedule` is a name of this
package (so `eval(repr(s), vars(lrhooks.schedules))` rebuilds a ramp too) but
not a spec factory: a range test is started by its program, not by a flag.
Nor is `stateful_parts(s)`, the stateful schedules a schedule is or holds.
"""

from lrhooks.schedules._base import (Composite, Number, Schedule, StatefulSchedule,
                                     stateful_parts)
from lrhooks.schedules._chained import ChainedScheduler, chained_scheduler
from lrhooks.schedules._cosine_decays import (SWALR, CosineDecay, CosineDecaySchedule,
                                              LinearCosineDecay, NoisyLinearCosineDecay,
                                              cosine_decay, cosine_decay_schedule,
                                              linear_cosine_decay, noisy_linear_cosine_decay,
                                              swalr)
from lrhooks.schedules._cyclic import (CosineAnnealing, Cyclic, CyclicMomentum, cosine_annealing,
                                       cyclic, cyclic_momentum)
from lrhooks.schedules._decays import (Constant, ExponentialDecay, InverseTimeDecay,
                                       NaturalExpDecay, OptaxExponentialDecay, PolynomialDecay,
                                       constant, exponential_decay, inverse_time_decay,
                                       natural_exp_decay, optax_exponential_decay,
                                       polynomial_decay)
from lrhooks.schedules._one_cycle import (CosineOnecycleSchedule, LinearOnecycleSchedule,
                                          OneCycle, OneCycleMomentum, cosine_onecycle_schedule,
                                          linear_onecycle_schedule, one_cycle,
                                          one_cycle_momentum)
from lrhooks.schedules._piecewise_curves import (PiecewiseInterpolateSchedule,
                                                 StepCosineDecayWithOffset,
                                                 piecewise_interpolate_schedule,
                                                 step_cosine_decay_with_offset)
from lrhooks.schedules._plateau import (ReduceLROnPlateau, TimmPlateau, reduce_lr_on_plateau,
                                        timm_plateau)
from lrhooks.schedules._power_decays import (DirectPowerDecay, InverseSqrt, Noam,
                                             PowerAndLinearDecay, PowerDecayWithOffset,
                                             RsqrtDecay, direct_power_decay, inverse_sqrt, noam,
                                             power_and_linear_decay, power_decay_with_offset,
                                             rsqrt_decay)
from lrhooks.schedules._products import (LinearScaling, Product, Scaled, linear_scaling, product,
                                         scaled)
from lrhooks.schedules._range_test import LRRangeTestSchedule, range_test_schedule
from lrhooks.schedules._restarts import (CosineAnnealingWarmRestarts, CosineDecayRestarts,
                                         SgdrSchedule, cosine_annealing_warm_restarts,
                                         cosine_decay_restarts, sgdr_schedule)
from lrhooks.schedules._sequences import (JoinSchedules, Sequential, WithOffset, join_schedules,
                                          sequential, with_offset)
from lrhooks.schedules._steps import (MultiStepDecay, PiecewiseConstant, PiecewiseConstantSchedule,
                                      StepDecay, multistep_decay, piecewise_constant,
                                      piecewise_constant_schedule, step_decay)
from lrhooks.schedules._t2t_factors import T2TSchedule, t2t_schedule
from lrhooks.schedules._timm_cycles import (TimmCosine, TimmPoly, TimmTanh, timm_cosine, timm_poly,
                                            timm_tanh)
from lrhooks.schedules._timm_warmup import (TimmMultistep, TimmStep, TimmWsd, timm_multistep,
                                            timm_step, timm_wsd)
from lrhooks.schedules._warmup import (ConstantLR, LinearLR, PolynomialWarmup, Warmup, constant_lr,
                                       linear_lr, polynomial_warmup, warmup)
from lrhooks.schedules._warmup_cosine import (
    CosineScheduleWithWarmup, CosineWithHardRestartsScheduleWithWarmup,
    CosineWithMinLrScheduleWithWarmup, CosineWithMinLrScheduleWithWarmupLrRate,
    WarmupCosineDecaySchedule, cosine_schedule_with_warmup,
    cosine_with_hard_restarts_schedule_with_warmup, cosine_with_min_lr_schedule_with_warmup,
    cosine_with_min_lr_schedule_with_warmup_lr_rate, warmup_cosine_decay_schedule)
from lrhooks.schedules._warmup_decays import (
    ConstantScheduleWithWarmup, LinearScheduleWithWarmup, PolynomialDecayScheduleWithWarmup,
    WarmupStableDecay, constant_schedule_with_warmup, linear_schedule_with_warmup,
    polynomial_decay_schedule_with_warmup, warmup_stable_decay)

__all__ = [
    # The value type and the stateful protocol.
    "Schedule", "StatefulSchedule", "Composite",
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
    "one_cycle", "cyclic", "OneCycleMomentum", "CyclicMomentum", "one_cycle_momentum",
    "cyclic_momentum", "CosineAnnealing", "CosineAnnealingWarmRestarts", "ConstantLR",
    "LinearLR", "SWALR", "cosine_annealing", "cosine_annealing_warm_restarts", "constant_lr",
    "linear_lr", "swalr",
    # Products and joins (PyTorch's ChainedScheduler, optax's join_schedules).
    "Product", "JoinSchedules", "product", "join_schedules", "ChainedScheduler",
    "chained_scheduler",
    # Transformers and LLMs (transformers, fairseq, tensor2tensor).
    "InverseSqrt", "WarmupStableDecay", "LinearScheduleWithWarmup", "CosineScheduleWithWarmup",
    "CosineWithHardRestartsScheduleWithWarmup", "PolynomialDecayScheduleWithWarmup",
    "ConstantScheduleWithWarmup", "inverse_sqrt", "warmup_stable_decay",
    "linear_schedule_with_warmup", "cosine_schedule_with_warmup",
    "cosine_with_hard_restarts_schedule_with_warmup", "polynomial_decay_schedule_with_warmup",
    "constant_schedule_with_warmup", "Noam", "RsqrtDecay", "T2TSchedule", "noam",
    "rsqrt_decay", "t2t_schedule", "CosineWithMinLrScheduleWithWarmup",
    "CosineWithMinLrScheduleWithWarmupLrRate", "cosine_with_min_lr_schedule_with_warmup",
    "cosine_with_min_lr_schedule_with_warmup_lr_rate",
    # optax.
    "OptaxExponentialDecay", "CosineDecaySchedule", "PiecewiseInterpolateSchedule",
    "optax_exponential_decay", "cosine_decay_schedule", "piecewise_interpolate_schedule",
    "PiecewiseConstantSchedule", "WarmupCosineDecaySchedule", "SgdrSchedule",
    "CosineOnecycleSchedule", "LinearOnecycleSchedule", "piecewise_constant_schedule",
    "warmup_cosine_decay_schedule", "sgdr_schedule", "cosine_onecycle_schedule",
    "linear_onecycle_schedule",
    # TensorFlow's Model Garden and noisy_linear_cosine_decay.
    "PowerAndLinearDecay", "DirectPowerDecay", "PowerDecayWithOffset", "PolynomialWarmup",
    "NoisyLinearCosineDecay", "power_and_linear_decay", "direct_power_decay",
    "power_decay_with_offset", "polynomial_warmup", "noisy_linear_cosine_decay",
    "StepCosineDecayWithOffset", "WithOffset", "step_cosine_decay_with_offset", "with_offset",
    # timm.
    "TimmCosine", "TimmTanh", "TimmPoly", "timm_cosine", "timm_tanh", "timm_poly",
    "TimmStep", "TimmMultistep", "TimmWsd", "timm_step", "timm_multistep", "timm_wsd",
    # Stateful and range-test schedules (classes; reduce_lr_on_plateau and timm_plateau
    # are the plateaus' spec factories, the range-test ramp has none).
    "ReduceLROnPlateau", "TimmPlateau", "LRRangeTestSchedule", "reduce_lr_on_plateau",
    "timm_plateau",
]
