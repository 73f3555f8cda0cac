"""The model's and optimizer's hyper-parameters (`HParams`), TensorFlow-free.

Each hyper-parameter is declared once, as a field of `HParams`; a field made with
`settings.setting` is also a flag of the trainer, recorded in train_config.json and read
back from it. Adding one: a field here, and its use in `model.py` or `optimizer.py`.
`model.py` re-exports `HParams` and the constants.
"""

import dataclasses
import math
from typing import Callable, Optional, Sequence, Tuple

from models.resnet_mnist.settings import setting

MODELS = ("resnet", "cnn")
OPTIMIZERS = ("sgd", "mom", "nesterov", "adam")
DATA_FORMATS = ("NHWC", "NCHW")


def invalid(field: str, value: object, allowed: str) -> ValueError:
    return ValueError(f"`{field}` must be {allowed}, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_integers(count: int) -> Callable[[Sequence[str]], Optional[Tuple[int, ...]]]:
    """A list flag's values -> a tuple of `count` positive integers, or None."""

    def parse(values: Sequence[str]) -> Optional[Tuple[int, ...]]:
        try:
            numbers = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            return None
        return numbers if len(numbers) == count and all(n > 0 for n in numbers) else None

    return parse


@dataclasses.dataclass(frozen=True)
class HParams:
    """Model and optimizer hyper-parameters (like the classic `resnet_model.HParams`).

    The defaults are a ResNet-14: the classic CIFAR ResNet layout (16/32/64 channels, strides
    1/2/2) with 2 instead of 3 pre-activation units per stage, about 0.17M parameters, which is
    plenty for MNIST and needs about 1.5x fewer conv FLOPs per image than ResNet-20.

    Attributes:
      model: 'resnet' or 'cnn'.
      num_classes: Number of output classes.
      num_residual_units: Residual units in each of the 3 stages.
      use_bottleneck: 1x1-3x3-1x1 bottleneck units; stage outputs are 4x `filters[1:]`.
      filters: Channels of the first conv, then of stages 1-3 (bottleneck: inner widths).
      weight_decay_rate: Multiplier of sum(l2_loss) over the conv/FC weights.
      relu_leakiness: Negative slope of the ResNet's leaky ReLU (0 gives a plain ReLU).
      optimizer: 'sgd', 'mom', 'nesterov' or 'adam'.
      momentum: Momentum of 'mom' and 'nesterov'.
      adam_beta1: Adam beta1.
      adam_beta2: Adam beta2.
      adam_epsilon: Adam epsilon.
      batch_norm_decay: Decay of the batch-norm moving mean/variance.
      batch_norm_epsilon: Batch-norm epsilon (fused batch norm raises values below 1.001e-5 to
        1.001e-5, hence the classic 0.001 default).
      dropout_rate: Dropout rate between the CNN's FC layers, train mode only (keep = 1 - rate).
      cnn_filters: Channels of the CNN's three 3x3 conv + 2x2 max-pool layers.
      cnn_fc_units: Width of the CNN's hidden fully connected layer.
      data_format: 'NHWC' or 'NCHW' (NCHW convs need a GPU). Inputs are always NHWC and are
        transposed once.
      label_smoothing: The cross-entropy's target puts `1 - label_smoothing +
        label_smoothing / num_classes` on the label and `label_smoothing / num_classes` on
        every other class (0: plain one-hot).
      ema_decay: > 0: keep an exponential moving average of the weights (and batch-norm
        statistics) with this decay, updated by every training step; evaluation reads the
        averages (`optimizer.build_train_op`, `evaluation`). 0: no average.
    """

    # A field made with `setting` is also a flag of the trainer (and of the evaluator, which
    # checks it against the run's train_config.json); the others are not on the command line.
    model: str = setting("resnet", "Model.", choices=MODELS)
    num_classes: int = 10
    num_residual_units: int = setting(2, "ResNet: residual units per stage.", lower=1)
    use_bottleneck: bool = setting(False, "ResNet: bottleneck units.")
    filters: Tuple[int, int, int, int] = setting(
        (16, 16, 32, 64), "ResNet: channels of the first conv and of the 3 stages.",
        parse=positive_integers(4), invalid="--filters must be 4 comma-separated positive integers")
    weight_decay_rate: float = setting(0.0002, "L2 weight decay on conv/fc weights.", lower=0.0)
    relu_leakiness: float = setting(0.1, "ResNet: leaky-ReLU slope.")
    optimizer: str = setting("mom", "Optimizer.", choices=OPTIMIZERS)
    momentum: float = setting(0.9, "mom/nesterov momentum (not used while --cycle_momentum "
                              "cycles it).")
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    batch_norm_decay: float = setting(0.9, "Batch-norm moving-average decay.")
    batch_norm_epsilon: float = 0.001
    dropout_rate: float = setting(0.5, "CNN: dropout rate.")
    cnn_filters: Tuple[int, int, int] = (32, 64, 128)
    cnn_fc_units: int = 512
    data_format: str = "NHWC"
    label_smoothing: float = setting(0.0, "Cross-entropy against (1 - s) * one_hot + s / "
                                     "num_classes (0: none).", lower=0.0, upper=0.999)
    ema_decay: float = setting(0.0, "> 0: evaluate (in-process, the final evaluation, eval.py) "
                               "an exponential moving average of the weights with this decay; "
                               "0: the weights themselves.", lower=0.0, upper=0.99999)

    def validate(self) -> "HParams":
        """Checks every field and returns self.

        Raises:
          ValueError: One line naming the first invalid field, its value and what is allowed.
        """
        choices = (("model", MODELS), ("optimizer", OPTIMIZERS), ("data_format", DATA_FORMATS))
        for field, allowed in choices:
            if getattr(self, field) not in allowed:
                raise invalid(field, getattr(self, field), "one of " + ", ".join(allowed))
        for field, low in (("num_classes", 2), ("num_residual_units", 1), ("cnn_fc_units", 1)):
            value = getattr(self, field)
            if not _is_int(value) or value < low:
                raise invalid(field, value, f"an integer >= {low}")
        if not isinstance(self.use_bottleneck, bool):
            raise invalid("use_bottleneck", self.use_bottleneck, "a bool")
        for field, size in (("filters", 4), ("cnn_filters", 3)):
            value = getattr(self, field)
            if not isinstance(value, (tuple, list)) or len(value) != size or not all(
                _is_int(v) and v >= 1 for v in value
            ):
                raise invalid(field, value, f"a sequence of {size} positive integers")
        # field -> interval as written in the message; "[" / "]" are inclusive.
        for field, interval in (
            ("weight_decay_rate", "[0, inf)"), ("relu_leakiness", "[0, 1)"), ("momentum", "[0, 1]"),
            ("adam_beta1", "[0, 1)"), ("adam_beta2", "[0, 1)"), ("adam_epsilon", "(0, inf)"),
            ("batch_norm_decay", "[0, 1)"), ("batch_norm_epsilon", "(0, inf)"),
            ("dropout_rate", "[0, 1)"), ("label_smoothing", "[0, 1)"), ("ema_decay", "[0, 1)"),
        ):  # fmt: skip
            value = getattr(self, field)
            high = math.inf if "inf" in interval else 1.0
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (
                number
                and (value >= 0 if interval[0] == "[" else value > 0)
                and (value <= high if interval[-1] == "]" else value < high)
            ):
                raise invalid(field, value, f"a number in {interval}")
        return self
