"""lrhooks schedules in a PyTorch loop: `ScheduleLR`, a `torch.optim.lr_scheduler.LRScheduler`.

Install with `pip install 'lrhooks[torch]'`. `import lrhooks` never imports this module, and
this module never imports TensorFlow.

    import torch
    from lrhooks.torch import ScheduleLR

    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    scheduler = ScheduleLR(optimizer, "cosine_decay(0.1, decay_steps=1000)")
    for batch in batches:
        loss(model, batch).backward()
        optimizer.step()      # applies schedule(k) at the k-th step (k = 0, 1, ...)
        optimizer.zero_grad()
        scheduler.step()      # the groups now hold schedule(k + 1)

Step semantics (PyTorch's): after construction every group holds `schedule(0)`; after the
k-th `scheduler.step()` it holds `schedule(k)`. This is TF1's: the k-th `optimizer.step()` is
the run at `global_step == k`. The state (`state_dict()`) is the step count and each schedule's
spec string, never a rate: `load_state_dict` writes `schedule(step)` into the groups, so a
resume is exact at any step, whatever the optimizer's own state holds.
"""

import copy
import functools
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
from torch.optim import lr_scheduler

from lrhooks import checks
from lrhooks import portable
from lrhooks import schedules as schedules_lib
from lrhooks import spec as spec_lib

__all__ = ["ScheduleLR", "as_schedule"]

ScheduleLike = portable.ScheduleLike
_STATE_FORMAT = 1


def as_schedule(value: Any, name: str = "schedule") -> schedules_lib.Schedule:
    """A pure lrhooks schedule from a schedule or a spec string (one-line errors; a stateful
    one is refused: use `torch.optim.lr_scheduler.ReduceLROnPlateau`)."""
    return portable.pure_schedule(value, name, "torch.optim.lr_scheduler.ReduceLROnPlateau")


def _spec_or_none(schedule: schedules_lib.Schedule) -> Optional[str]:
    try:
        return spec_lib.spec(schedule)
    except spec_lib.SpecError:
        return None  # e.g. range_test_schedule: kept as built, only the step is state


class ScheduleLR(lr_scheduler.LRScheduler):
    """Sets each parameter group's rate (and any other hyperparameter) to `schedule(step)`.

    Attributes:
      schedules: For each parameter group, a dict hyperparameter name -> schedule
        (`"lr"` always; `"momentum"`, `"betas"`, `"weight_decay"`, ... when given).
    """

    def __init__(self, optimizer: torch.optim.Optimizer,
                 schedule: Union[ScheduleLike, Sequence[ScheduleLike]],
                 hyperparameters: Optional[Mapping[str, Any]] = None,
                 start_step: int = 0) -> None:
        """Builds the scheduler and sets every group to its values at `start_step` (0).

        Args:
          optimizer: The optimizer; its groups' `lr` is overwritten.
          schedule: One schedule (or spec string) for every group, or a list with one per
            parameter group (in `optimizer.param_groups` order).
          hyperparameters: Other group hyperparameters to schedule, name -> schedule, list of
            schedules (one per group), or for a tuple-valued one such as Adam's `betas` a tuple
            of schedules and numbers (`{"betas": ("cyclic_momentum(...)", 0.999)}`; a number is
            held). The name must already be a key of every group.
          start_step: The step the first `optimizer.step()` is (e.g. a TF1 checkpoint's
            `global_step`, for a run continued in PyTorch): the groups start at
            `schedule(start_step)`.

        Raises:
          TypeError, ValueError: A one-line message naming the argument.
        """
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"`optimizer` must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        groups = optimizer.param_groups
        count = len(groups)
        table: List[Dict[str, Any]] = [{} for _ in range(count)]
        for key, value in [("lr", schedule)] + list((hyperparameters or {}).items()):
            for index, item in enumerate(_per_group(key, value, count)):
                if key not in groups[index]:
                    raise ValueError(f"`hyperparameters` names {key!r}, which param_groups[{index}]"
                                     f" of {type(optimizer).__name__} does not have")
                table[index][key] = item
        self.schedules = table
        self._specs = [{key: _spec_tree(value) for key, value in group.items()} for group in table]
        start_step = checks.step(start_step, "start_step")
        super().__init__(optimizer)
        if start_step:
            self.last_epoch = start_step
            self._write_values()

    def get_lr(self) -> List[float]:
        """The groups' rates at the current step (`last_epoch`)."""
        return [self._value(group["lr"]) for group in self.schedules]

    _get_closed_form_lr = get_lr  # step(epoch): the same closed form

    def step(self, epoch: Optional[int] = None) -> None:  # pylint: disable=arguments-renamed
        """Moves to the next step (call it after `optimizer.step()`)."""
        super().step(epoch)
        self._apply_others()

    def state_dict(self) -> Dict[str, Any]:
        """The step count and each group's schedule specs (no rate; plain ints and strings,
        so `torch.load(..., weights_only=True)` reads it)."""
        return {"format": _STATE_FORMAT, "step": self.last_epoch,
                "step_calls": self._step_count,
                "schedules": copy.deepcopy(self._specs)}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restores the step and schedules and writes their values into the groups.

        A schedule saved without a spec form (e.g. `range_test_schedule`) keeps the one this
        scheduler was built with.

        Raises:
          ValueError: The state is not one of `ScheduleLR`, or holds another number of groups.
        """
        if not isinstance(state_dict, Mapping) or state_dict.get("format") != _STATE_FORMAT:
            raise ValueError("`state_dict` is not a ScheduleLR state (no 'format': 1); a "
                             "scheduler's state loads only into the class that saved it")
        saved = state_dict["schedules"]
        if len(saved) != len(self.schedules):
            raise ValueError(f"`state_dict` holds schedules for {len(saved)} parameter groups, "
                             f"the optimizer has {len(self.schedules)}")
        restored = []
        for index, (group, now) in enumerate(zip(saved, self.schedules)):
            if set(group) != set(now):
                raise ValueError(f"`state_dict` schedules {sorted(group)} in param_groups[{index}],"
                                 f" this scheduler schedules {sorted(now)}")
            restored.append({key: _from_spec_tree(value, now[key])
                             for key, value in group.items()})
        self.schedules = restored
        self._specs = copy.deepcopy(list(saved))
        self.last_epoch = int(state_dict["step"])
        self._step_count = int(state_dict.get("step_calls", self.last_epoch + 1))
        self._write_values()

    def _write_values(self) -> None:
        """Writes every scheduled value at the current step into the groups."""
        for group, value in zip(self.optimizer.param_groups, self.get_lr()):
            _set(group, "lr", value)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
        self._apply_others()

    def _value(self, schedule: Any) -> Any:
        step = max(self.last_epoch, 0)
        if isinstance(schedule, tuple):
            return tuple(item(step) if isinstance(item, schedules_lib.Schedule) else item
                         for item in schedule)
        return schedule(step)

    def _apply_others(self) -> None:
        for group, scheduled in zip(self.optimizer.param_groups, self.schedules):
            for key, schedule in scheduled.items():
                if key != "lr":
                    _set(group, key, self._value(schedule))


def _per_group(key: str, value: Any, count: int) -> List[Any]:
    """One schedule (or tuple of schedules and numbers) per group, checked."""
    name = "schedule" if key == "lr" else f"hyperparameters[{key!r}]"
    if isinstance(value, list):
        if len(value) != count:
            raise ValueError(f"`{name}` must hold one schedule per parameter group ({count}), "
                             f"got {len(value)}")
        return [_one(name, item) for item in value]
    return [_one(name, value)] * count


def _one(name: str, value: Any) -> Any:
    if isinstance(value, tuple) and name != "schedule":
        items = tuple(item if isinstance(item, (int, float)) and not isinstance(item, bool)
                      else as_schedule(item, name) for item in value)
        if not any(isinstance(item, schedules_lib.Schedule) for item in items):
            raise ValueError(f"`{name}` must hold at least one schedule, got {value!r}")
        return items
    return as_schedule(value, name)


def _spec_tree(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_spec_tree(item) for item in value]
    if isinstance(value, schedules_lib.Schedule):
        return {"spec": _spec_or_none(value)}
    return value


def _from_spec_tree(saved: Any, current: Any) -> Any:
    if isinstance(saved, list):
        return tuple(_from_spec_tree(item, now) for item, now in
                     zip(saved, current if isinstance(current, tuple) else [None] * len(saved)))
    if isinstance(saved, dict):
        if saved.get("spec") is None:
            if not isinstance(current, schedules_lib.Schedule):
                raise ValueError("`state_dict` holds a schedule without a spec form where this "
                                 "scheduler has none: build the scheduler with the same schedule")
            return current
        return _parsed(saved["spec"])
    return saved


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> schedules_lib.Schedule:
    """A saved spec's schedule (pure schedules are immutable values: parsed once per text)."""
    return spec_lib.from_spec(text)


def _set(group: Dict[str, Any], key: str, value: Any) -> None:
    """Sets a group value, in place when the group holds a tensor (a tensor rate)."""
    if isinstance(group[key], torch.Tensor):
        group[key].fill_(value)
    else:
        group[key] = value
