"""Conformance REGISTRY entries for the catalogue schedules (other libraries' schedules).

`tests/test_schedule_conformance.py` adds these to its REGISTRY, so every generic check
(golden values, exact messages, repr and spec round trips, hashing, breakpoints) runs on
them. Golden values are the documented formulas written out (exact to 1e-12); the peers'
own data lives in `tests/data/peer_values` (`tests/test_catalogue.py`).
"""

import math

from lrhooks import schedules as S

_COS = lambda x: math.cos(math.pi * x)  # noqa: E731  cos(pi * x)
_NUMBER = "must be a finite number >= 0, got "
_COUNT = "must be an integer > 0, got "
_NONNEG = "must be an integer >= 0, got "
_UNIT = "must be a finite number in [0, 1], got "
_SCHEDULE = "must be a lrhooks.schedules.Schedule, got "
_TIMM = ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "warmup_t",
         "warmup_lr_init", "warmup_prefix")


def _hf_cos(p, cycles=0.5):
    return 0.5 * (1 + _COS(2 * cycles * p))


def entries(Entry):  # noqa: N803  (the conformance suite's Entry class)
    """The catalogue's entries, built with the suite's `Entry`."""
    return {
        # ------------------------------------------------------------------ PyTorch
        "one_cycle_momentum": Entry(
            arguments=("schedule", "base_momentum", "max_momentum"),
            golden=[
                # PyTorch test_lrscheduler.py test_onecycle_lr_linear_annealing (momentum).
                (S.one_cycle(25.0, 10, anneal_strategy="linear", final_div_factor=2.0).momentum(
                    1.0, 22.0),
                 list(enumerate([22.0, 11.5, 1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0, 22.0]))
                 + [(50, 22.0)]),
                # three_phase, phase ends 49 and 98: max -> base -> max, then held at max.
                (S.one_cycle_momentum(S.one_cycle(1.0, 100, 0.5, three_phase=True), 0.8, 0.9),
                 [(0, 0.9), (49, 0.8), (74, 0.9 + (0.8 - 0.9) / 2 * (_COS(25 / 49) + 1)),
                  (98, 0.9), (99, 0.9), (100, 0.9)]),
            ],
            breakpoints=[(S.one_cycle(25.0, 10, anneal_strategy="linear").momentum(), 100,
                          (2, 3, 9))],
            invalid=[
                (lambda: S.one_cycle_momentum(S.constant(0.1)), TypeError,
                 "`schedule` must be a one_cycle(...) schedule, got constant(learning_rate=0.1)"),
                (lambda: S.one_cycle(0.1, 10).momentum(-0.5), ValueError,
                 "`base_momentum` " + _NUMBER + "-0.5"),
            ],
        ),
        "cyclic_momentum": Entry(
            arguments=("schedule", "base_momentum", "max_momentum"),
            golden=[
                # PyTorch test_cycle_lr_triangular_mode_one_lr / _triangular2_mode_one_lr.
                (S.cyclic(1.0, 5.0, 4).momentum(1.0, 5.0),
                 list(enumerate([5.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 3.0]))),
                (S.cyclic_momentum(S.cyclic(1.0, 5.0, 4, mode="triangular2"), 1.0, 5.0),
                 list(enumerate([5.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.5, 4.0, 3.5,
                                 3.0, 3.5, 4.0, 4.5, 5.0, 4.75]))),
                (S.cyclic(0.1, 1.0, 2, mode="exp_range", gamma=0.5).momentum(0.8, 0.9),
                 [(0, 0.9), (1, 0.9 - 0.1 * 0.5 * 0.5), (2, 0.9 - 0.1 * 0.25)]),
            ],
            breakpoints=[(S.cyclic(1.0, 5.0, 4).momentum(), 20, (4, 8, 12, 16))],
            invalid=[
                (lambda: S.cyclic_momentum(S.one_cycle(0.1, 10)), TypeError,
                 "`schedule` must be a cyclic(...) schedule, got " + repr(S.one_cycle(0.1, 10))),
                (lambda: S.cyclic(0.1, 1.0).momentum(max_momentum=math.inf), ValueError,
                 "`max_momentum` " + _NUMBER + "inf"),
            ],
        ),
        "cosine_annealing": Entry(
            arguments=("learning_rate", "t_max", "eta_min"),
            golden=[(S.cosine_annealing(0.1, 10), [(0, 0.1), (5, 0.05), (10, 0.0), (15, 0.05),
                                                  (20, 0.1), (23, 0.05 * (1 + _COS(0.3)))]),
                    (S.cosine_annealing(1.0, 4, 0.2), [(2, 0.6), (4, 0.2), (8, 1.0)])],
            breakpoints=[(S.cosine_annealing(0.1, 10), 35, (10, 20, 30))],
            invalid=[(lambda: S.cosine_annealing(0.1, 0), ValueError,
                      "`t_max` must be an integer > 0 or a finite float > 0, got 0"),
                     (lambda: S.cosine_annealing(0.1, 10, -1), ValueError,
                      "`eta_min` " + _NUMBER + "-1.0")],
        ),
        "cosine_annealing_warm_restarts": Entry(
            arguments=("learning_rate", "t_0", "t_mult", "eta_min"),
            golden=[(S.cosine_annealing_warm_restarts(1.0, 10, 2),
                     [(0, 1.0), (5, 0.5), (9, 0.5 * (1 + _COS(0.9))), (10, 1.0), (20, 0.5),
                      (30, 1.0), (70, 1.0)]),
                    (S.cosine_annealing_warm_restarts(1.0, 4, 1, 0.5), [(2, 0.75), (4, 1.0)])],
            breakpoints=[(S.cosine_annealing_warm_restarts(1.0, 10, 2), 100,
                          (9, 10, 29, 30, 69, 70))],
            invalid=[(lambda: S.cosine_annealing_warm_restarts(0.1, 10, 0), ValueError,
                      "`t_mult` " + _COUNT + "0"),
                     (lambda: S.cosine_annealing_warm_restarts(0.1, 1.5), TypeError,
                      "`t_0` " + _COUNT + "1.5")],
        ),
        "constant_lr": Entry(
            arguments=("learning_rate", "factor", "total_iters"),
            golden=[(S.constant_lr(0.1, 0.5, 4), [(0, 0.05), (3, 0.05), (4, 0.1), (10, 0.1)])],
            breakpoints=[(S.constant_lr(0.1, 0.5, 4), 100, (3, 4))],
            invalid=[(lambda: S.constant_lr(0.1, 1.5), ValueError, "`factor` " + _UNIT + "1.5"),
                     (lambda: S.constant_lr(0.1, 0.5, 0), ValueError,
                      "`total_iters` " + _COUNT + "0")],
        ),
        "linear_lr": Entry(
            arguments=("learning_rate", "start_factor", "end_factor", "total_iters"),
            golden=[(S.linear_lr(0.1, 0.5, 1.0, 4), [(0, 0.05), (2, 0.075), (4, 0.1), (9, 0.1)])],
            breakpoints=[(S.linear_lr(0.1, 0.5, 1.0, 4), 100, (4,))],
            invalid=[(lambda: S.linear_lr(0.1, 0.0), ValueError,
                      "`start_factor` must be a finite number in (0, 1], got 0.0")],
        ),
        "swalr": Entry(
            arguments=("learning_rate", "swa_lr", "anneal_epochs", "anneal_strategy"),
            golden=[(S.swalr(0.1, 0.05, 10, "linear"), [(0, 0.1), (5, 0.075), (10, 0.05),
                                                       (99, 0.05)]),
                    (S.swalr(0.1, 0.05, 10), [(5, 0.075), (2, 0.1 - 0.05 * (1 - _COS(0.2)) / 2)]),
                    (S.swalr(0.1, 0.05, 0), [(0, 0.05), (3, 0.05)])],
            breakpoints=[(S.swalr(0.1, 0.05, 10), 100, (10,))],
            invalid=[(lambda: S.swalr(0.1, 0.05, anneal_strategy="exp"), ValueError,
                      "`anneal_strategy` must be one of 'cos', 'linear', got 'exp'")],
        ),
        # ------------------------------------------------------------------ products, joins
        "product": Entry(
            arguments=("schedules",),
            golden=[(S.product([S.constant(0.1), S.linear_lr(1.0, 0.5, 1.0, 2),
                                S.exponential_decay(1.0, 1, 0.5)]),
                     [(0, 0.05), (1, 0.1 * 0.75 * 0.5), (2, 0.1 * 0.25)])],
            breakpoints=[(S.product([S.constant_lr(1.0, 0.5, 3), S.step_decay(1.0, 5)]), 12,
                          (2, 3, 5, 10))],
            invalid=[(lambda: S.product([]), ValueError,
                      "`schedules` must be a non-empty sequence of schedules, got []"),
                     (lambda: S.product([S.constant(1.0), 2.0]), TypeError,
                      "`schedules` element 1 " + _SCHEDULE + "2.0")],
        ),
        "chained_scheduler": Entry(
            arguments=("schedulers",),
            golden=[  # PyTorch's recursion, by hand: ConstantLR then CosineAnnealingLR.
                (S.chained_scheduler([S.constant_lr(1.0, 0.5, 2),
                                      S.cosine_annealing(1.0, 4, 0.1)]),
                 [(0, 0.5), (1, (1 + math.cos(math.pi / 4)) / 2 * 0.4 + 0.1),
                  (2, (((1 + math.cos(math.pi / 4)) / 2 * 0.4 + 0.1) / 0.5 - 0.1)
                   / (1 + math.cos(math.pi / 4)) + 0.1)]),
                (S.chained_scheduler([S.multistep_decay(2.0, [1, 1], 0.5),
                                      S.exponential_decay(2.0, 1, 0.9)]),
                 [(0, 2.0), (1, 2.0 * 0.25 * 0.9), (3, 2.0 * 0.25 * 0.9 ** 3)])],
            breakpoints=[(S.chained_scheduler([S.constant_lr(1.0, 0.5, 3),
                                               S.step_decay(1.0, 5)]), 12, (2, 3, 5, 10))],
            invalid=[(lambda: S.chained_scheduler([]), ValueError,
                      "`schedulers` must be a non-empty sequence of schedules, got []"),
                     (lambda: S.chained_scheduler([S.constant(1.0)]), TypeError,
                      "`schedulers` element 0 must be a twin of a chainable PyTorch scheduler "
                      "(constant_lr, linear_lr, exponential_decay(lr, 1, gamma), step_decay, "
                      "multistep_decay, polynomial_decay(lr, total_iters, 0.0, power), "
                      "cosine_annealing; constant_lr with factor > 0), got "
                      "constant(learning_rate=1.0)"),
                     (lambda: S.chained_scheduler([S.step_decay(1.0, 2),
                                                   S.step_decay(0.5, 3)]), ValueError,
                      "`schedulers` must all have the optimizer's rate as `learning_rate` "
                      "(PyTorch chains schedulers of one optimizer), got [0.5, 1.0]")],
        ),
        "join_schedules": Entry(
            arguments=("schedules", "boundaries"),
            golden=[  # optax _join_test.py test_join_schedules.
                (S.join_schedules([S.constant(1.0), S.constant(2.0), S.constant(1.0)], [3, 6]),
                 [(0, 1.0), (2, 1.0), (3, 2.0), (5, 2.0), (6, 1.0)]),
                (S.join_schedules([S.constant(1.0), S.step_decay(1.0, 2, 0.5)], [4]),
                 [(3, 1.0), (4, 1.0), (6, 0.5)])],
            breakpoints=[(S.join_schedules([S.constant(1.0), S.step_decay(1.0, 2, 0.5)], [4]),
                          9, (3, 4, 6, 8))],
            invalid=[(lambda: S.join_schedules([S.constant(1.0)], [3]), ValueError,
                      "`boundaries` must have len(schedules) - 1 = 0 elements, got 1"),
                     (lambda: S.join_schedules([S.constant(1.0)] * 3, [5, 3]), ValueError,
                      "`boundaries` must be non-decreasing, got (5, 3)")],
        ),
        # ------------------------------------------------------------------ transformers, t2t
        "inverse_sqrt": Entry(
            arguments=("learning_rate", "warmup_steps", "timescale", "warmup_init_lr"),
            golden=[(S.inverse_sqrt(10.0, 2), [(0, 0.0), (1, 5.0), (2, 10.0),
                                              (8, 10.0 / math.sqrt(4.0))]),
                    (S.inverse_sqrt(1.0, 4, timescale=8), [(4, 1.0), (12, 1 / math.sqrt(2))]),
                    (S.inverse_sqrt(1.0, 4, warmup_init_lr=0.2), [(0, 0.2), (2, 0.6), (16, 0.5)]),
                    (S.inverse_sqrt(1.0, 0), [(0, 1.0), (30000, 0.5)])],
            breakpoints=[(S.inverse_sqrt(1.0, 4), 10, (4,))],
            invalid=[(lambda: S.inverse_sqrt(0.1, -1), ValueError, "`warmup_steps` " + _NONNEG + "-1"),
                     (lambda: S.inverse_sqrt(0.1, 10, timescale=0), ValueError,
                      "`timescale` " + _COUNT + "0")],
        ),
        "warmup_stable_decay": Entry(
            arguments=("learning_rate", "num_warmup_steps", "num_stable_steps", "num_decay_steps",
                       "warmup_type", "decay_type", "min_lr_ratio", "num_cycles"),
            golden=[(S.warmup_stable_decay(10.0, 2, 2, 3),
                     list(enumerate([0.0, 5.0, 10.0, 10.0, 10.0, 7.5, 2.5, 0.0, 0.0]))),
                    (S.warmup_stable_decay(10.0, 2, 2, 3, min_lr_ratio=0.1),
                     list(enumerate([1.0, 5.5, 10.0, 10.0, 10.0, 7.75, 3.25, 1.0, 1.0]))),
                    (S.warmup_stable_decay(1.0, 4, 0, 4, "1-sqrt", "1-sqrt"),
                     [(0, 0.0), (3, 0.5), (4, 1.0), (5, 0.5), (8, 0.0)]),
                    (S.warmup_stable_decay(1.0, 4, 0, 4, "cosine", "linear"), [(2, 0.5), (6, 0.5)])],
            breakpoints=[(S.warmup_stable_decay(1.0, 2, 2, 3), 100, (2, 4, 7))],
            invalid=[(lambda: S.warmup_stable_decay(0.1, 1, 1, 1, decay_type="exp"), ValueError,
                      "`decay_type` must be one of 'linear', 'cosine', '1-sqrt', got 'exp'"),
                     (lambda: S.warmup_stable_decay(0.1, 1, 1, 1, min_lr_ratio=2), ValueError,
                      "`min_lr_ratio` " + _UNIT + "2.0")],
        ),
        "linear_schedule_with_warmup": Entry(
            arguments=("learning_rate", "num_warmup_steps", "num_training_steps"),
            golden=[(S.linear_schedule_with_warmup(10.0, 2, 10),  # transformers' test table
                     list(enumerate([0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25]))
                     + [(10, 0.0), (50, 0.0)])],
            breakpoints=[(S.linear_schedule_with_warmup(10.0, 2, 10), 100, (2, 10, 11))],
            invalid=[(lambda: S.linear_schedule_with_warmup(0.1, 2, -10), ValueError,
                      "`num_training_steps` " + _NONNEG + "-10")],
        ),
        "cosine_schedule_with_warmup": Entry(
            arguments=("learning_rate", "num_warmup_steps", "num_training_steps", "num_cycles",
                       "min_lr_rate"),
            golden=[(S.cosine_schedule_with_warmup(10.0, 2, 10),
                     [(1, 5.0), (3, 10 * _hf_cos(1 / 8)), (6, 5.0), (10, 0.0), (18, 10.0)]),
                    (S.cosine_schedule_with_warmup(1.0, 0, 4, 1.0, 0.2), [(1, 0.6), (2, 0.2),
                                                                           (4, 1.0)])],
            breakpoints=[(S.cosine_schedule_with_warmup(10.0, 2, 10), 100, (2,))],
            invalid=[(lambda: S.cosine_schedule_with_warmup(0.1, 1, 10, num_cycles=-1), ValueError,
                      "`num_cycles` " + _NUMBER + "-1.0")],
        ),
        "cosine_with_hard_restarts_schedule_with_warmup": Entry(
            arguments=("learning_rate", "num_warmup_steps", "num_training_steps", "num_cycles"),
            golden=[(S.cosine_with_hard_restarts_schedule_with_warmup(10.0, 2, 10, 2),
                     [(2, 10.0), (4, 5.0), (6, 10.0), (8, 5.0), (10, 0.0)])],
            breakpoints=[(S.cosine_with_hard_restarts_schedule_with_warmup(1.0, 2, 10), 100,
                          (2, 10, 11))],
            invalid=[(lambda: S.cosine_with_hard_restarts_schedule_with_warmup(0.1, 1, 10, 0),
                      ValueError, "`num_cycles` " + _COUNT + "0")],
        ),
        "polynomial_decay_schedule_with_warmup": Entry(
            arguments=("learning_rate", "num_warmup_steps", "num_training_steps", "lr_end",
                       "power"),
            golden=[(S.polynomial_decay_schedule_with_warmup(10.0, 2, 10, 0.0, 2.0),
                     [(1, 5.0), (2, 10.0), (6, 2.5), (10, 0.0), (11, 0.0)]),
                    (S.polynomial_decay_schedule_with_warmup(1.0, 0, 4, 0.5), [(2, 0.75),
                                                                               (9, 0.5)])],
            breakpoints=[(S.polynomial_decay_schedule_with_warmup(1.0, 2, 10), 100, (2, 10, 11))],
            invalid=[(lambda: S.polynomial_decay_schedule_with_warmup(0.1, 10, 5), ValueError,
                      "`num_training_steps` must be > `num_warmup_steps` (10), got 5"),
                     (lambda: S.polynomial_decay_schedule_with_warmup(0.1, 1, 5, lr_end=0.2),
                      ValueError, "`lr_end` must be <= `learning_rate` (0.1), got 0.2")],
        ),
        "constant_schedule_with_warmup": Entry(
            arguments=("learning_rate", "num_warmup_steps"),
            golden=[(S.constant_schedule_with_warmup(10.0, 4),  # transformers' test table
                     list(enumerate([0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0])))],
            breakpoints=[(S.constant_schedule_with_warmup(10.0, 4), 100, (4,))],
            invalid=[(lambda: S.constant_schedule_with_warmup(-1.0, 4), ValueError,
                      "`learning_rate` " + _NUMBER + "-1.0")],
        ),
        "noam": Entry(
            arguments=("d_model", "warmup_steps", "factor", "offset"),
            golden=[(S.noam(512, 4000), [(0, 0.0), (4000, (512 * 4000) ** -0.5),
                                         (16000, 512 ** -0.5 * 16000 ** -0.5)]),
                    (S.noam(4, 4, 2.0, offset=1), [(0, 2.0 * 0.5 * 0.125), (3, 0.5)])],
            breakpoints=[(S.noam(4, 10), 100, (10,)), (S.noam(4, 10, offset=1), 100, (9,))],
            invalid=[(lambda: S.noam(0, 10), ValueError, "`d_model` " + _COUNT + "0")],
        ),
        "rsqrt_decay": Entry(
            arguments=("warmup_steps",),
            golden=[(S.rsqrt_decay(10000), [(0, 0.01), (10000, 0.01), (40000, 0.005)])],
            breakpoints=[(S.rsqrt_decay(10), 100, (10,))],
            invalid=[(lambda: S.rsqrt_decay(True), TypeError, "`warmup_steps` " + _COUNT + "True")],
        ),
        "t2t_schedule": Entry(
            arguments=("schedule", "constant", "warmup_steps", "decay_steps", "train_steps",
                       "hidden_size", "decay_rate", "decay_staircase"),
            golden=[(S.t2t_schedule("constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size", 2.0,
                                    8000, hidden_size=512),
                     [(0, 0.0), (4000, 2.0 * 0.5 * 8000 ** -0.5 * 512 ** -0.5),
                      (32000, 2.0 * 32000 ** -0.5 * 512 ** -0.5)]),
                    (S.t2t_schedule("multi_cycle_cos_decay", warmup_steps=100, decay_steps=1000),
                     [(0, 1.0), (100, 1.0), (600, 0.5), (1100, 0.0), (2100, 1.0)]),
                    (S.t2t_schedule(" constant * exp_decay", 1.0, 10, 10, decay_rate=0.5,
                                    decay_staircase=True), [(5, 1.0), (29, 0.5), (30, 0.25)])],
            breakpoints=[(S.t2t_schedule("linear_warmup", warmup_steps=10), 100, (10, 11))],
            invalid=[(lambda: S.t2t_schedule("constant*warmup"), ValueError,
                      "`schedule` has an unknown factor 'warmup' (known: constant, linear_warmup, "
                      "linear_decay, cosdecay, single_cycle_cos_decay, multi_cycle_cos_decay, "
                      "rsqrt_decay, rsqrt_normalized_decay, exp_decay, rsqrt_hidden_size), got "
                      "'constant*warmup'"),
                     (lambda: S.t2t_schedule(" * "), ValueError,
                      "`schedule` must name at least one factor, got ' * '"),
                     (lambda: S.t2t_schedule(3), TypeError,
                      "`schedule` must be a string of factors joined by '*', got 3"),
                     (lambda: S.t2t_schedule("single_cycle_cos_decay", warmup_steps=10,
                                             train_steps=10), ValueError,
                      "`train_steps` must be > `warmup_steps` (10) for single_cycle_cos_decay, "
                      "got 10")],
        ),
        # ------------------------------------------------------------------ optax
        "optax_exponential_decay": Entry(
            arguments=("init_value", "transition_steps", "decay_rate", "transition_begin",
                       "staircase", "end_value"),
            golden=[  # optax test_end_value_with_staircase (decay 0.2, end 0.1, begin 3).
                (S.optax_exponential_decay(1.0, 2, 0.2, 3, True, 0.1),
                 list(enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2, 0.1, 0.1]))),
                (S.optax_exponential_decay(1.0, 2, 2.0, 0, False, 3.0),
                 [(2, 2.0), (3, 2 ** 1.5), (4, 3.0)])],
            breakpoints=[(S.optax_exponential_decay(1.0, 2, 0.2, 3, True), 10, (3, 5, 7, 9))],
            invalid=[(lambda: S.optax_exponential_decay(1.0, 0, 0.5), ValueError,
                      "`transition_steps` " + _COUNT + "0"),
                     (lambda: S.optax_exponential_decay(1.0, 10, 0.0), ValueError,
                      "`decay_rate` must be a finite number > 0, got 0.0")],
        ),
        "cosine_decay_schedule": Entry(
            arguments=("init_value", "decay_steps", "alpha", "exponent"),
            golden=[(S.cosine_decay_schedule(1.21, 50, 0.0, 2.0),
                     [(0, 1.21), (25, 1.21 * 0.25), (50, 0.0), (60, 0.0)]),
                    (S.cosine_decay_schedule(1.0, 4, 0.5), [(2, 0.75), (9, 0.5)])],
            breakpoints=[(S.cosine_decay_schedule(1.0, 50), 100, (50,))],
            invalid=[(lambda: S.cosine_decay_schedule(1.0, 10, exponent=-1), ValueError,
                      "`exponent` " + _NUMBER + "-1.0")],
        ),
        "piecewise_interpolate_schedule": Entry(
            arguments=("interpolate_type", "init_value", "boundaries_and_scales"),
            golden=[  # optax PiecewiseInterpolateTest.
                (S.piecewise_interpolate_schedule("linear", 200.0, {5: 1.5, 10: 0.25}),
                 list(enumerate([200.0, 220.0, 240.0, 260.0, 280.0, 300.0, 255.0, 210.0, 165.0,
                                 120.0, 75.0, 75.0, 75.0]))),
                (S.piecewise_interpolate_schedule("cosine", 400.0, {5: 1.2, 3: 0.6, 7: 1.0}),
                 list(enumerate([400.0, 360.0, 280.0, 240.0, 264.0, 288.0, 288.0, 288.0,
                                 288.0]))),
                (S.piecewise_interpolate_schedule("linear", 13.0, {}),
                 list(enumerate([13.0] * 5)))],
            breakpoints=[(S.piecewise_interpolate_schedule("linear", 1.0, [(5, 2.0), (9, 1.0)]),
                          100, (5, 9))],
            invalid=[(lambda: S.piecewise_interpolate_schedule("cubic", 1.0), ValueError,
                      "`interpolate_type` must be one of 'linear', 'cosine', got 'cubic'"),
                     (lambda: S.piecewise_interpolate_schedule("linear", 1.0, {5: -1.0}),
                      ValueError, "`boundaries_and_scales` element 0 " + _NUMBER + "-1.0"),
                     (lambda: S.piecewise_interpolate_schedule("linear", 1.0, [(5, 1.0), (5, 2.0)]),
                      ValueError, "`boundaries_and_scales` boundaries must be distinct, got [5, 5]"),
                     (lambda: S.piecewise_interpolate_schedule("linear", 1.0, [5]), TypeError,
                      "`boundaries_and_scales` element 0 must be a (boundary, scale) pair, got [5]")],
        ),
        # ------------------------------------------------------------------ Model Garden, TF
        "power_and_linear_decay": Entry(
            arguments=("initial_learning_rate", "total_decay_steps", "power",
                       "linear_decay_fraction", "offset"),
            golden=[  # Model Garden lr_schedule_test.py PowerAndLinearDecayTest.
                (S.power_and_linear_decay(1.0, 100, -1.0, 0.5),
                 [(0, 1.0), (1, 1.0), (40, 1. / 40.), (60, 1. / 60. * 0.8), (100, 0.0)]),
                (S.power_and_linear_decay(1.0, 100, -1.0, 0.5, offset=90),
                 [(0, 1.0), (90, 1.0), (91, 1.0), (130, 1. / 40.), (150, 1. / 60. * 0.8),
                  (190, 0.0), (200, 0.0)]),
                (S.power_and_linear_decay(1.0, 100, 0.0, 1.0), [(1, 0.99), (40, 0.6), (60, 0.4)])],
            breakpoints=[(S.power_and_linear_decay(1.0, 100, -1.0, 0.5), 101, (1, 51, 100))],
            invalid=[(lambda: S.power_and_linear_decay(1.0, 100, linear_decay_fraction=1.5),
                      ValueError, "`linear_decay_fraction` " + _UNIT + "1.5"),
                     (lambda: S.power_and_linear_decay(1.0, 100, math.nan), ValueError,
                      "`power` must be a finite number, got nan")],
        ),
        "direct_power_decay": Entry(
            arguments=("initial_learning_rate", "power"),
            golden=[(S.direct_power_decay(2.0, -0.5), [(0, 2.0), (1, 2.0), (4, 1.0), (100, 0.2)])],
            breakpoints=[(S.direct_power_decay(2.0, -0.5), 100, ())],
            invalid=[(lambda: S.direct_power_decay(1.0, math.nan), ValueError,
                      "`power` must be a finite number, got nan")],
        ),
        "power_decay_with_offset": Entry(
            arguments=("initial_learning_rate", "power", "offset", "pre_offset_learning_rate"),
            golden=[(S.power_decay_with_offset(1.0, -1.0, 10, 0.5),
                     [(0, 0.5), (10, 0.5), (11, 0.5), (20, 0.1), (30, 0.05)]),
                    (S.power_decay_with_offset(1.0, 1.0), [(0, 1.0e6), (5, 5.0)])],
            breakpoints=[(S.power_decay_with_offset(1.0, -1.0, 10), 100, (10, 11))],
            invalid=[(lambda: S.power_decay_with_offset(1.0, offset=-1), ValueError,
                      "`offset` " + _NONNEG + "-1")],
        ),
        "polynomial_warmup": Entry(
            arguments=("schedule", "warmup_steps", "power"),
            golden=[(S.polynomial_warmup(S.constant(0.1), 10, 2.0),
                     [(0, 0.001), (5, 0.025), (10, 0.1)]),
                    (S.polynomial_warmup(S.cosine_decay(1.0, 20), 10), [(5, 0.25), (10, 0.5),
                                                                        (20, 0.0)])],
            breakpoints=[(S.polynomial_warmup(S.cosine_decay(1.0, 20), 10), 100, (10, 20))],
            invalid=[(lambda: S.polynomial_warmup(0.1, 10), TypeError,
                      "`schedule` " + _SCHEDULE + "0.1")],
        ),
        "noisy_linear_cosine_decay": Entry(
            arguments=("learning_rate", "decay_steps", "initial_variance", "variance_decay",
                       "num_periods", "alpha", "beta", "seed"),
            golden=[(S.noisy_linear_cosine_decay(0.1, 1000, 0.0),
                     [(0, 0.1 * 1.001), (500, 0.1 * (0.25 + 0.001)), (1000, 0.1 * 0.001)])],
            breakpoints=[(S.noisy_linear_cosine_decay(0.1, 50), 100, (50,))],
            invalid=[(lambda: S.noisy_linear_cosine_decay(0.1, 100, seed=-1), ValueError,
                      "`seed` " + _NONNEG + "-1")],
        ),
        # ------------------------------------------------------------------ timm
        "timm_cosine": Entry(
            arguments=("learning_rate",) + _TIMM + ("k_decay",),
            golden=[(S.timm_cosine(0.1, 10), [(0, 0.1), (5, 0.05), (10, 0.0), (20, 0.0)]),
                    (S.timm_cosine(0.1, 10, cycle_limit=3, cycle_decay=0.5),
                     [(10, 0.05), (15, 0.025), (20, 0.025), (30, 0.0)]),
                    (S.timm_cosine(0.1, 10, warmup_t=4),  # timm's default: ramp, then jump
                     [(0, 0.0), (2, 0.05), (3, 0.075), (4, 0.05 * (1 + _COS(0.4)))]),
                    (S.timm_cosine(0.1, 10, warmup_t=4, warmup_prefix=True),
                     [(3, 0.075), (4, 0.1), (9, 0.05)]),
                    (S.timm_cosine(1.0, 10, cycle_mul=2.0, cycle_limit=2),
                     [(10, 1.0), (20, 0.5), (30, 0.0)]),
                    (S.timm_cosine(1.0, 16, k_decay=0.5), [(4, 0.5 * (1 + _COS(0.5)))])],
            breakpoints=[(S.timm_cosine(0.1, 10, cycle_limit=3), 100, (9, 10, 19, 20, 29, 30)),
                         (S.timm_cosine(0.1, 10, warmup_t=4, warmup_prefix=True), 100,
                          (4, 13, 14))],
            invalid=[(lambda: S.timm_cosine(0.1, 0), ValueError, "`t_initial` " + _COUNT + "0"),
                     (lambda: S.timm_cosine(0.1, 10, cycle_mul=0), ValueError,
                      "`cycle_mul` must be a finite number > 0, got 0.0"),
                     (lambda: S.timm_cosine(0.1, 10, k_decay=0), ValueError,
                      "`k_decay` must be a finite number > 0, got 0.0")],
        ),
        "timm_tanh": Entry(
            arguments=("learning_rate", "t_initial", "lb", "ub") + _TIMM[1:],
            golden=[  # step 0: the rate timm's optimizer holds until step(1), not _get_lr(0).
                    (S.timm_tanh(1.0, 10, lb=-1.0, ub=1.0), [(0, 1.0),
                                                             (1, 0.5 * (1 - math.tanh(-0.8))),
                                                             (5, 0.5), (10, 0.0)]),
                    (S.timm_tanh(1.0, 10, -1.0, 1.0, warmup_t=2),  # ramps to its own value at 2
                     [(1, 0.5 * 0.5 * (1 - math.tanh(-0.6)))])],
            breakpoints=[(S.timm_tanh(1.0, 10), 100, (9, 10))],
            invalid=[(lambda: S.timm_tanh(0.1, 10, lb=3.0, ub=1.0), ValueError,
                      "`ub` must be > `lb` (3.0), got 1.0"),
                     (lambda: S.timm_tanh(0.1, 10, lb=-math.inf), ValueError,
                      "`lb` must be a finite number, got -inf")],
        ),
        "timm_poly": Entry(
            arguments=("learning_rate", "t_initial", "power") + _TIMM[1:] + ("k_decay",),
            golden=[(S.timm_poly(1.0, 10, power=1.0), [(0, 1.0), (5, 0.5), (9, 0.1), (10, 0.0)]),
                    (S.timm_poly(1.0, 16, 2.0, k_decay=0.5), [(4, 0.25)])],
            breakpoints=[(S.timm_poly(1.0, 10), 100, (9, 10))],
            invalid=[(lambda: S.timm_poly(0.1, 10, warmup_prefix=1), TypeError,
                      "`warmup_prefix` must be a bool (True or False), got 1")],
        ),
        # ------------------------------------------------ timm's step schedulers, optax, Model Garden, ...
        "timm_step": Entry(
            arguments=("learning_rate", "decay_t", "decay_rate", "warmup_t", "warmup_lr_init",
                       "warmup_prefix"),
            golden=[(S.timm_step(1.0, 2, 0.5), [(0, 1.0), (1, 1.0), (2, 0.5), (5, 0.25)]),
                    # timm's train.py warmup (no prefix): ramp towards 1.0, then the stairs.
                    (S.timm_step(1.0, 2, 0.5, 2, 0.2, False), [(0, 0.2), (1, 0.6), (2, 0.5),
                                                              (3, 0.5), (4, 0.25)]),
                    (S.timm_step(1.0, 2, 0.5, 2, 0.2), [(1, 0.6), (2, 1.0), (4, 0.5)]),
                    (S.timm_step(1.0, 2.5, 0.5), [(4, 0.5), (5, 0.25)])],
            breakpoints=[(S.timm_step(1.0, 2, 0.5, 3, warmup_prefix=False), 9, (2, 3, 4, 6, 8)),
                         (S.timm_step(1.0, 2, 0.5, 3), 9, (3, 5, 7))],
            invalid=[(lambda: S.timm_step(0.1, 0), ValueError,
                      "`decay_t` must be an integer > 0 or a finite float > 0, got 0"),
                     (lambda: S.timm_step(0.1, 2, warmup_prefix=None), TypeError,
                      "`warmup_prefix` must be a bool (True or False), got None")],
        ),
        "timm_multistep": Entry(
            arguments=("learning_rate", "decay_t", "decay_rate", "warmup_t", "warmup_lr_init",
                       "warmup_prefix"),
            golden=[  # timm's convention: milestone m applies at t = m - 1.
                (S.timm_multistep(1.0, [3, 5], 0.1), [(0, 1.0), (1, 1.0), (2, 0.1), (3, 0.1),
                                                      (4, 0.1 * 0.1), (9, 0.1 * 0.1)]),
                (S.timm_multistep(1.0, [3, 5], 0.1, 2, 0.0, False), [(1, 0.5), (2, 0.1)]),
                (S.timm_multistep(1.0, [3, 5], 0.1, 2, 0.0), [(1, 0.5), (2, 1.0), (4, 0.1)]),
                # A repeated milestone decays twice; step 0 is the optimizer's construction
                # rate (timm's _get_lr(0) would already count the milestones <= 1).
                (S.timm_multistep(1.0, [0, 1, 3, 3], 0.5), [(0, 1.0), (1, 0.25),
                                                             (2, 0.25 * 0.25)])],
            breakpoints=[(S.timm_multistep(1.0, [3, 5], 0.1), 100, (2, 4)),
                         (S.timm_multistep(1.0, [0, 3], 0.1, 2), 100, (2, 4))],
            invalid=[(lambda: S.timm_multistep(0.1, [5, 3]), ValueError,
                      "`decay_t` must be non-decreasing, got (5, 3)")],
        ),
        "timm_wsd": Entry(
            arguments=("learning_rate", "t_initial", "decay_t", "lr_min", "stable_fn",
                       "stable_timescale", "stable_power", "decay_fn", "decay_power",
                       "decay_ratio", "warmup_t", "warmup_lr_init"),
            golden=[(S.timm_wsd(1.0, 10, 4, warmup_t=2, decay_fn="linear"),
                     [(0, 0.0), (1, 0.5), (2, 1.0), (8, 1.0), (9, 0.75), (10, 0.5), (12, 0.0),
                      (20, 0.0)]),
                    (S.timm_wsd(1.0, 10, 4), [(6, 1.0), (7, 1 - math.sqrt(0.25)), (10, 0.0)]),
                    (S.timm_wsd(1.0, 10, 4, 0.1, "rsqrt", 4, decay_fn="cosine"),
                     [(0, 1.0), (4, 0.5 ** 0.5), (8, 0.1 + (3 ** -0.5 - 0.1) * 0.5), (10, 0.1)]),
                    (S.timm_wsd(1.0, 4, 4, stable_fn="power", stable_timescale=1,
                                stable_power=1.0, decay_fn="exp", decay_ratio=0.5),
                     [(1, 0.5 * (0.5 ** 0.25 - 0.5) / 0.5)]),
                    (S.timm_wsd(1.0, 4, 2, decay_fn="power", decay_power=2.0), [(3, 0.75)])],
            breakpoints=[(S.timm_wsd(1.0, 10, 4, warmup_t=2), 100, (2, 8, 12))],
            invalid=[(lambda: S.timm_wsd(1.0, 10, 11), ValueError,
                      "`decay_t` must be <= `t_initial` (10), got 11"),
                     (lambda: S.timm_wsd(1.0, 10, 4, stable_fn="rsqrt"), ValueError,
                      "`stable_timescale` must be given for stable_fn='rsqrt' when `warmup_t` "
                      "is 0 (it defaults to `warmup_t`), got None"),
                     (lambda: S.timm_wsd(1.0, 10, 4, decay_ratio=1.0), ValueError,
                      "`decay_ratio` must be a finite number in (0, 1), got 1.0"),
                     (lambda: S.timm_wsd(1.0, 10, 4, decay_fn="step"), ValueError,
                      "`decay_fn` must be one of 'linear', '1-sqrt', 'cosine', 'power', 'exp', "
                      "got 'step'")],
        ),
        "piecewise_constant_schedule": Entry(
            arguments=("init_value", "boundaries_and_scales"),
            golden=[  # optax's docstring example.
                (S.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.01}),
                 [(50, 1.0), (99, 1.0), (100, 0.1), (150, 0.1), (250, 0.01 * 0.1)]),
                (S.piecewise_constant_schedule(2.0, [(5, 3.0), (0, 0.5)]), [(0, 1.0), (5, 3.0)]),
                (S.piecewise_constant_schedule(2.0), [(0, 2.0), (10 ** 6, 2.0)])],
            breakpoints=[(S.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.01}), 150,
                          (100,))],
            invalid=[(lambda: S.piecewise_constant_schedule(1.0, {5: -0.5}), ValueError,
                      "`boundaries_and_scales` element 0 " + _NUMBER + "-0.5")],
        ),
        "warmup_cosine_decay_schedule": Entry(
            arguments=("init_value", "peak_value", "warmup_steps", "decay_steps", "end_value",
                       "exponent"),
            golden=[(S.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110),
                     [(0, 0.0), (5, 0.5), (10, 1.0), (60, 0.5), (110, 0.0), (200, 0.0)]),
                    (S.warmup_cosine_decay_schedule(0.2, 1.21, 50, 100, 0.0, 2.0),
                     [(10, 0.402), (75, 1.21 * 0.25)]),  # optax test_with_exponent, end 0
                    (S.warmup_cosine_decay_schedule(0.5, 2.0, 0, 4, 1.0), [(0, 2.0), (2, 1.5),
                                                                          (4, 1.0)])],
            breakpoints=[(S.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110), 200, (9, 10, 110))],
            invalid=[(lambda: S.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10), ValueError,
                      "`decay_steps` must be > `warmup_steps` (10), got 10")],
        ),
        "sgdr_schedule": Entry(
            arguments=("cycles",),
            golden=[(S.sgdr_schedule([S.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110),
                                      S.warmup_cosine_decay_schedule(0.0, 0.5, 0, 50)]),
                     [(5, 0.5), (60, 0.5), (109, 0.5 * (1 + _COS(99 / 100))), (110, 0.5),
                      (135, 0.25), (160, 0.0), (999, 0.0)])],
            breakpoints=[(S.sgdr_schedule([S.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110)] * 2),
                          300, (9, 10, 109, 110, 119, 120, 220))],
            invalid=[(lambda: S.sgdr_schedule([S.constant(0.1)]), TypeError,
                      "`cycles` element 0 must be a warmup_cosine_decay_schedule(...) schedule, "
                      "got constant(learning_rate=0.1)"),
                     (lambda: S.sgdr_schedule([]), ValueError,
                      "`cycles` must be a non-empty sequence of warmup_cosine_decay_schedule(...) "
                      "schedules, got []")],
        ),
        "cosine_onecycle_schedule": Entry(
            arguments=("transition_steps", "peak_value", "pct_start", "div_factor",
                       "final_div_factor"),
            golden=[(S.cosine_onecycle_schedule(100, 1.0, 0.5, 4.0, 10.0),
                     [(0, 0.25), (25, 0.625), (50, 1.0), (75, 0.025 + 0.975 / 2),
                      (100, 0.025), (150, 0.025)])],
            breakpoints=[(S.cosine_onecycle_schedule(100, 1.0), 200, (30, 100))],
            invalid=[(lambda: S.cosine_onecycle_schedule(0, 1.0), ValueError,
                      "`transition_steps` " + _COUNT + "0")],
        ),
        "linear_onecycle_schedule": Entry(
            arguments=("transition_steps", "peak_value", "pct_start", "pct_final", "div_factor",
                       "final_div_factor"),
            golden=[(S.linear_onecycle_schedule(100, 1.0, 0.25, 0.75, 4.0, 10.0),
                     [(0, 0.25), (10, 0.55), (25, 1.0), (50, 0.625), (75, 0.25), (100, 0.025),
                      (200, 0.025)])],
            breakpoints=[(S.linear_onecycle_schedule(100, 1.0), 200, (30, 85, 100))],
            invalid=[(lambda: S.linear_onecycle_schedule(100, 1.0, pct_final=1.5), ValueError,
                      "`pct_final` " + _UNIT + "1.5")],
        ),
        "step_cosine_decay_with_offset": Entry(
            arguments=("boundaries", "values", "offset"),
            golden=[(S.step_cosine_decay_with_offset([0, 10, 20], [1.0, 0.5, 0.1], 5),
                     [(0, 0.75), (5, 1.0), (10, 0.75), (15, 0.5), (20, 0.3), (24, 0.1 + 0.2 * (
                         _COS(0.9) + 1)), (25, 0.1), (99, 0.1)])],
            breakpoints=[(S.step_cosine_decay_with_offset([0, 10, 20], [1.0, 0.5, 0.1], 5), 100,
                          (15, 25))],
            invalid=[(lambda: S.step_cosine_decay_with_offset([0, 10], [1.0]), ValueError,
                      "`values` must have len(boundaries) = 2 elements, got 1"),
                     (lambda: S.step_cosine_decay_with_offset([0], [1.0]), ValueError,
                      "`values` must have at least 2 elements (the Model Garden divides by a "
                      "zero length with one; use constant), got [1.0]"),
                     (lambda: S.step_cosine_decay_with_offset([10, 0], [1.0, 0.5]), ValueError,
                      "`boundaries` must be strictly increasing, got (10, 0)")],
        ),
        "with_offset": Entry(
            arguments=("schedule", "offset"),
            golden=[(S.with_offset(S.exponential_decay(1.0, 10, 0.5), 10),
                     [(0, 2.0), (5, 2 ** 0.5), (10, 1.0), (20, 0.5)]),
                    (S.with_offset(S.cosine_decay(1.0, 10), 5), [(0, 0.5), (5, 1.0), (10, 0.5)]),
                    (S.with_offset(S.piecewise_constant([5], [1.0, 0.1]), 10),
                     [(0, 1.0), (15, 1.0), (16, 0.1)]),
                    (S.with_offset(S.polynomial_decay(1.0, 10, 0.0, 1.0), 10), [(5, 1.5),
                                                                                (15, 0.5)]),
                    (S.with_offset(S.exponential_decay(0.1, 10, 0.0), 10), [(0, math.inf)])],
            breakpoints=[(S.with_offset(S.piecewise_constant([5], [1.0, 0.1]), 10), 100,
                          (10, 15, 16))],
            invalid=[(lambda: S.with_offset(S.constant(0.1), 3), TypeError,
                      "`schedule` must be a piecewise_constant, exponential_decay, "
                      "polynomial_decay (cycle=False) or cosine_decay schedule, got "
                      "constant(learning_rate=0.1)"),
                     (lambda: S.with_offset(S.cosine_decay(0.1, 10), -1), ValueError,
                      "`offset` " + _NONNEG + "-1")],
        ),
        "cosine_with_min_lr_schedule_with_warmup": Entry(
            arguments=("learning_rate", "num_warmup_steps", "num_training_steps", "num_cycles",
                       "min_lr", "min_lr_rate"),
            golden=[(S.cosine_with_min_lr_schedule_with_warmup(10.0, 2, 10, min_lr=1.0),
                     [(1, 5.0), (2, 10.0), (6, 5.5), (10, 1.0)]),
                    (S.cosine_with_min_lr_schedule_with_warmup(10.0, 2, 10, min_lr_rate=0.5),
                     [(6, 7.5), (10, 5.0)])],
            breakpoints=[(S.cosine_with_min_lr_schedule_with_warmup(1.0, 2, 10, min_lr=0.1),
                          100, (2,))],
            invalid=[(lambda: S.cosine_with_min_lr_schedule_with_warmup(1.0, 2, 10), ValueError,
                      "`min_lr` or `min_lr_rate` must be set, got None for both"),
                     (lambda: S.cosine_with_min_lr_schedule_with_warmup(
                         1.0, 2, 10, min_lr=0.1, min_lr_rate=0.1), ValueError,
                      "`min_lr` and `min_lr_rate` must not both be set (give one), got 0.1 and "
                      "0.1"),
                     (lambda: S.cosine_with_min_lr_schedule_with_warmup(0.0, 2, 10, min_lr=0.0),
                      ValueError, "`learning_rate` must be > 0 with `min_lr` (the floor is "
                      "min_lr / learning_rate), got 0.0")],
        ),
        "cosine_with_min_lr_schedule_with_warmup_lr_rate": Entry(
            arguments=("learning_rate", "num_warmup_steps", "num_training_steps", "num_cycles",
                       "min_lr", "min_lr_rate", "warmup_lr_rate"),
            golden=[(S.cosine_with_min_lr_schedule_with_warmup_lr_rate(10.0, 2, 10,
                                                                       min_lr_rate=0.0),
                     [(0, 5.0), (1, 10.0), (2, 10.0 * 0.5 * (1 + _COS(1 / 8))), (5, 5.0),
                      (9, 0.0)]),
                    (S.cosine_with_min_lr_schedule_with_warmup_lr_rate(
                        10.0, 3, 10, min_lr=1.0, warmup_lr_rate=0.2), [(0, 2.0), (1, 6.0),
                                                                       (2, 10.0)])],
            breakpoints=[(S.cosine_with_min_lr_schedule_with_warmup_lr_rate(
                1.0, 2, 10, min_lr=0.1), 100, (2,))],
            invalid=[(lambda: S.cosine_with_min_lr_schedule_with_warmup_lr_rate(
                1.0, 2, 10, min_lr_rate=1.5), ValueError, "`min_lr_rate` " + _UNIT + "1.5")],
        ),
    }
