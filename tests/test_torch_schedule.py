"""`lrhooks.torch.ScheduleLR`: lrhooks schedules in a PyTorch loop, exact at every step.

Skipped where PyTorch is not installed, unless LRHOOKS_REQUIRE_TORCH=1 (CI's extras stage)
makes a missing PyTorch fail. Rates are read from what the optimizer applied (SGD on a
float64 parameter reset to 0 with gradient 1 moves it by exactly -lr) or from the group values
PyTorch's optimizers read (Python floats: compared with `==`).
"""

import io
import os
import pickle

import pytest

if os.environ.get("LRHOOKS_REQUIRE_TORCH") == "1":
    import torch  # a missing PyTorch fails here
else:
    torch = pytest.importorskip("torch")

from lrhooks import schedules as S  # noqa: E402
from lrhooks import spec as spec_lib  # noqa: E402
from lrhooks.torch import ScheduleLR  # noqa: E402
from tests.support import export_cases, programs  # noqa: E402

PIECEWISE = S.piecewise_constant([3, 7], [0.1, 0.01, 0.001])


def _sgd(groups=1, momentum=0.0):
    params = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p]} for p in params], lr=1.0, momentum=momentum), params


def _applied(optimizer, params):
    """One SGD step from 0 with gradient 1: returns the rate each group applied."""
    for p in params:
        p.data.zero_()
        p.grad = torch.ones_like(p)
    optimizer.step()
    return [-p.item() for p in params]


def _save(scheduler, optimizer):
    buffer = io.BytesIO()
    torch.save({"scheduler": scheduler.state_dict(), "optimizer": optimizer.state_dict()},
               buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_every_factory_exact_at_random_steps_and_the_next():
    cases = export_cases.cases(1200, seed=23)
    assert {name for name, _, _ in cases} == {n for n, _ in export_cases.registry_schedules()}
    checked, built = 0, {}
    for name, schedule, step in cases:
        if repr(schedule) not in built:  # one optimizer and scheduler per argument set
            optimizer, _ = _sgd(momentum=0.5)
            scheduler = ScheduleLR(optimizer, schedule, {"momentum": schedule})
            built[repr(schedule)] = optimizer, scheduler, scheduler.state_dict()
        optimizer, scheduler, state = built[repr(schedule)]
        scheduler.load_state_dict(dict(state, step=step))  # a resume at `step`
        group = optimizer.param_groups[0]
        want = schedule(step)
        assert (group["lr"], group["momentum"], scheduler.get_last_lr()) == (want, want, [want]), \
            (name, schedule, step)
        optimizer.step()
        scheduler.step()
        assert group["lr"] == group["momentum"] == schedule(step + 1), (name, schedule, step)
        checked += 1
    assert checked >= 1000


def test_applied_rate_follows_pytorch_step_semantics():
    optimizer, params = _sgd()
    scheduler = ScheduleLR(optimizer, PIECEWISE)
    applied = []
    for _ in range(10):
        applied += _applied(optimizer, params)
        scheduler.step()
    # The k-th optimizer.step() (from 0) applies schedule(k), as TF1's run at global_step k:
    # piecewise_constant keeps 0.1 through its boundary 3, so step 4 is the first at 0.01.
    assert applied == [PIECEWISE(k) for k in range(10)]
    assert applied[3:5] == [0.1, 0.01]


@pytest.mark.parametrize("stop", [1, 3, 4, 8])
@pytest.mark.parametrize("scheduler_first", [True, False])
def test_resume_is_exact_at_any_step(stop, scheduler_first):
    schedule = S.one_cycle(0.5, 12, anneal_strategy="linear")
    optimizer, params = _sgd()
    scheduler = ScheduleLR(optimizer, schedule)
    straight = []
    for _ in range(12):
        straight += _applied(optimizer, params)
        scheduler.step()

    optimizer, params = _sgd()
    scheduler = ScheduleLR(optimizer, schedule)
    resumed = []
    for _ in range(stop):
        resumed += _applied(optimizer, params)
        scheduler.step()
    saved = _save(scheduler, optimizer)
    # A new process: the optimizer built at another rate, the scheduler from the same code.
    optimizer, params = _sgd()
    optimizer.param_groups[0]["lr"] = 7.0
    scheduler = ScheduleLR(optimizer, schedule)
    if scheduler_first:
        scheduler.load_state_dict(saved["scheduler"])
        optimizer.load_state_dict(saved["optimizer"])
    else:
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
    for _ in range(12 - stop):
        resumed += _applied(optimizer, params)
        scheduler.step()
    assert resumed == straight == [schedule(k) for k in range(12)]


def test_a_tf1_run_continued_from_its_global_step():
    # A TF1 run saved global_step 5 after its runs at steps 0..4: PyTorch goes on at step 5.
    optimizer, params = _sgd()
    scheduler = ScheduleLR(optimizer, PIECEWISE, start_step=5)
    applied = []
    for _ in range(4):
        applied += _applied(optimizer, params)
        scheduler.step()
    assert applied == [PIECEWISE(k) for k in range(5, 9)] == [0.01, 0.01, 0.01, 0.001]
    assert scheduler.state_dict()["step"] == 9


def test_state_is_the_step_and_the_specs():
    optimizer, _ = _sgd(groups=2, momentum=0.9)
    scheduler = ScheduleLR(optimizer, [PIECEWISE, "cosine_decay(0.1, 10)"],
                           {"momentum": S.cyclic(0.1, 1.0, 4).momentum(0.8, 0.9)})
    for _ in range(5):
        optimizer.step()
        scheduler.step()
    state = scheduler.state_dict()
    assert state["step"] == 5
    specs = [group["lr"]["spec"] for group in state["schedules"]]
    assert [spec_lib.from_spec(s) for s in specs] == [PIECEWISE, S.cosine_decay(0.1, 10)]
    assert all(type(v) in (int, str, list, dict) for v in state.values())
    # The saved schedules win over the ones a resumed scheduler was built with.
    other, _ = _sgd(groups=2, momentum=0.9)
    resumed = ScheduleLR(other, "constant(1.0)", {"momentum": "constant(0.0)"})
    resumed.load_state_dict(state)
    assert [g["lr"] for g in other.param_groups] == [PIECEWISE(5), S.cosine_decay(0.1, 10)(5)]
    assert [g["momentum"] for g in other.param_groups] == [S.cyclic(0.1, 1.0, 4).momentum(
        0.8, 0.9)(5)] * 2


def test_pickled_scheduler_continues_exactly():
    optimizer, _ = _sgd(groups=2)
    scheduler = ScheduleLR(optimizer, [PIECEWISE, S.cosine_decay(0.1, 10)])
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    copy = pickle.loads(pickle.dumps(scheduler))
    for _ in range(3):
        for each in (scheduler, copy):
            each.optimizer.step()
            each.step()
    assert [g["lr"] for g in copy.optimizer.param_groups] == [PIECEWISE(5),
                                                              S.cosine_decay(0.1, 10)(5)]
    assert copy.get_last_lr() == scheduler.get_last_lr()


def test_scheduled_betas_and_weight_decay_reach_adamw():
    params = [torch.zeros(1, requires_grad=True)]
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    momentum = S.one_cycle(1e-3, 10).momentum(0.85, 0.95)
    decay = S.linear_lr(0.1, 1.0, 0.0, 10)
    scheduler = ScheduleLR(optimizer, S.one_cycle(1e-3, 10),
                           {"betas": (momentum, 0.999), "weight_decay": decay})
    for step in range(6):
        group = optimizer.param_groups[0]
        assert group["betas"] == (momentum(step), 0.999)
        assert group["weight_decay"] == decay(step)
        assert group["lr"] == S.one_cycle(1e-3, 10)(step)
        params[0].grad = torch.ones_like(params[0])
        optimizer.step()
        scheduler.step()


def test_a_schedule_without_a_spec_keeps_the_built_one():
    ramp = S.range_test_schedule(1e-3, 1.0, 4)
    optimizer, _ = _sgd()
    scheduler = ScheduleLR(optimizer, ramp)
    optimizer.step()
    scheduler.step()
    state = scheduler.state_dict()
    assert state["schedules"] == [{"lr": {"spec": None}}]
    other, _ = _sgd()
    resumed = ScheduleLR(other, ramp)
    resumed.load_state_dict(state)
    assert other.param_groups[0]["lr"] == ramp(1)


@pytest.mark.parametrize("make,error,message", [
    (lambda o: ScheduleLR(o, "reduce_lr_on_plateau(0.1)"), ValueError,
     "`schedule` is stateful (it holds a ReduceLROnPlateau): its rates follow reported metrics, "
     "not the step; use torch.optim.lr_scheduler.ReduceLROnPlateau for reduce-on-plateau"),
    (lambda o: ScheduleLR(o, [PIECEWISE, PIECEWISE]), ValueError,
     "`schedule` must hold one schedule per parameter group (1), got 2"),
    (lambda o: ScheduleLR(o, 0.1), TypeError,
     "`schedule` must be a lrhooks.schedules.Schedule or a spec string, got float"),
    (lambda o: ScheduleLR(o, PIECEWISE, {"betas": PIECEWISE}), ValueError,
     "`hyperparameters` names 'betas', which param_groups[0] of SGD does not have"),
    (lambda o: ScheduleLR(o, PIECEWISE, start_step=-1), ValueError,
     "`start_step` must be an integer >= 0, got -1"),
    (lambda o: ScheduleLR(PIECEWISE, PIECEWISE), TypeError,
     "`optimizer` must be a torch.optim.Optimizer, got PiecewiseConstant"),
    (lambda o: ScheduleLR(o, PIECEWISE).load_state_dict({"last_epoch": 3}), ValueError,
     "`state_dict` is not a ScheduleLR state (no 'format': 1); a scheduler's state loads only "
     "into the class that saved it"),
])
def test_one_line_errors(make, error, message):
    optimizer, _ = _sgd()
    with pytest.raises(error) as raised:
        make(optimizer)
    assert str(raised.value) == message


def test_imports_neither_tensorflow_nor_is_imported_by_lrhooks():
    code = ("import sys, lrhooks, lrhooks.schedules; assert 'torch' not in sys.modules; "
            "import lrhooks.torch; assert 'tensorflow' not in sys.modules")
    result = programs.run(programs.python_code(code), timeout=120)
    assert result.returncode == 0, result.stderr
