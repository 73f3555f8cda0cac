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
                  and their momentum (one_cycle_momentum, cyclic_momentum)
  `_pytorch_extra` cosine_annealing(_warm_restarts), constant_lr, linear_lr, swalr
  `_combine`      product (multiplicative ChainedScheduler, factor products), join_schedules
  `_chained`      chained_scheduler (PyTorch's ChainedScheduler recursion, exactly)
  `_transformers` inverse_sqrt, warmup_stable_decay, transformers' *_with_warmup family
  `_t2t`          noam, rsqrt_decay, t2t_schedule (tensor2tensor's factor strings)
  `_optax`        optax_exponential_decay, cosine_decay_schedule, piecewise_interpolate_schedule
  `_tf_more`      the Model Garden's power decays, polynomial_warmup, noisy_linear_cosine_decay
  `_timm`         timm_cosine, timm_tanh, timm_poly (and timm's warmup, `TimmWarmup`)
  `_timm_steps`   timm_step, timm_multistep, timm_wsd, timm_plateau (stateful)
  `_optax_more`   piecewise_constant_schedule, warmup_cosine_decay_schedule, sgdr_schedule,
                  cosine_onecycle_schedule, linear_onecycle_schedule
  `_model_garden` step_cosine_decay_with_offset, with_offset (the *WithOffset wrappers)
  `_transformers_min_lr` cosine_with_min_lr_schedule_with_warmup(_lr_rate)
  `_plateau`      `ReduceLROnPlateau`, a stateful schedule (its hook: `lrhooks.plateau`)
  `_range_test`   `range_test_schedule`, the range-test ramp (its hook: `lrhooks.range_test`)

`__all__` lists the schedule classes and the factories that the schedule flag
language (`lrhooks.spec`) accepts. `range_test_schedule` is a name of this
package (so `eval(repr(s), vars(lrhooks.schedules))` rebuilds a ramp too) but
not a spec factory: a range test is started by its program, not by a flag.
Nor is `stateful_parts(s)`, the stateful schedules a schedule is or holds.
"""

from lrhooks.schedules._base import (Composite, Number, Schedule, StatefulSchedule,
                                     stateful_parts)
from lrhooks.schedules._sequences import (LinearScaling, Scaled, Sequential, Warmup,
                                            linear_scaling, scaled, sequential, warmup)
from lrhooks.schedules._plateau import ReduceLROnPlateau, reduce_lr_on_plateau
from lrhooks.schedules._products import JoinSchedules, Product, join_schedules, product
from lrhooks.schedules._chained import ChainedScheduler, chained_scheduler
from lrhooks.schedules._model_garden import (StepCosineDecayWithOffset, WithOffset,
                                             step_cosine_decay_with_offset, with_offset)
from lrhooks.schedules._one_cycle import (
    CosineOnecycleSchedule, LinearOnecycleSchedule, PiecewiseConstantSchedule, SgdrSchedule,
    WarmupCosineDecaySchedule, cosine_onecycle_schedule, linear_onecycle_schedule,
    piecewise_constant_schedule, sgdr_schedule, warmup_cosine_decay_schedule)
from lrhooks.schedules._piecewise_curves import (CosineDecaySchedule, OptaxExponentialDecay,
                                      PiecewiseInterpolateSchedule, cosine_decay_schedule,
                                      optax_exponential_decay, piecewise_interpolate_schedule)
from lrhooks.schedules._cyclic import (Cyclic, CyclicMomentum, MultiStepDecay, OneCycle,
                                        OneCycleMomentum, StepDecay, cyclic, cyclic_momentum,
                                        multistep_decay, one_cycle, one_cycle_momentum,
                                        step_decay)
from lrhooks.schedules._restarts import (SWALR, ConstantLR, CosineAnnealing,
                                              CosineAnnealingWarmRestarts, LinearLR,
                                              constant_lr, cosine_annealing,
                                              cosine_annealing_warm_restarts, linear_lr, swalr)
from lrhooks.schedules._t2t_factors import Noam, RsqrtDecay, T2TSchedule, noam, rsqrt_decay, t2t_schedule
from lrhooks.schedules._power_decays import (DirectPowerDecay, NoisyLinearCosineDecay,
                                        PolynomialWarmup, PowerAndLinearDecay,
                                        PowerDecayWithOffset, direct_power_decay,
                                        noisy_linear_cosine_decay, polynomial_warmup,
                                        power_and_linear_decay, power_decay_with_offset)
from lrhooks.schedules._timm_cycles import TimmCosine, TimmPoly, TimmTanh, timm_cosine, timm_poly, timm_tanh
from lrhooks.schedules._timm_warmup import (TimmMultistep, TimmPlateau, TimmStep, TimmWsd,
                                           timm_multistep, timm_plateau, timm_step, timm_wsd)
from lrhooks.schedules._warmup_cosine import (
    CosineWithMinLrScheduleWithWarmup, CosineWithMinLrScheduleWithWarmupLrRate,
    cosine_with_min_lr_schedule_with_warmup, cosine_with_min_lr_schedule_with_warmup_lr_rate)
from lrhooks.schedules._warmup_decays import (
    ConstantScheduleWithWarmup, CosineScheduleWithWarmup,
    CosineWithHardRestartsScheduleWithWarmup, InverseSqrt, LinearScheduleWithWarmup,
    PolynomialDecayScheduleWithWarmup, WarmupStableDecay, constant_schedule_with_warmup,
    cosine_schedule_with_warmup, cosine_with_hard_restarts_schedule_with_warmup, inverse_sqrt,
    linear_schedule_with_warmup, polynomial_decay_schedule_with_warmup, warmup_stable_decay)
from lrhooks.schedules._range_test import LRRangeTestSchedule, range_test_schedule
from lrhooks.schedules._decays import (Constant, CosineDecay, CosineDecayRestarts,
                                    ExponentialDecay, InverseTimeDecay, LinearCosineDecay,
                                    NaturalExpDecay, PiecewiseConstant, PolynomialDecay,
                                    constant, cosine_decay, cosine_decay_restarts,
                                    exponential_decay, inverse_time_decay,
                                    linear_cosine_decay, natural_exp_decay,
                                    piecewise_constant, polynomial_decay)

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
