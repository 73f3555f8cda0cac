"""The run's length in the schedule flag language: `train_steps` and its expressions.

A template (`lrhooks.spec`) writes a step-count argument with the run's length:

    steps := term | term "+" number | term "-" number
    term  := "train_steps" | term "*" number | number "*" term | term "/" number
                                                (factors and divisors > 0)

`linear_form` reads such an expression as `k * train_steps + c` with exact fractions
(the literals' decimal text: `0.1` is 1/10), and `rounded` gives its value for a run,
rounded to the nearest integer, halves up. No TensorFlow, no absl.
"""

import ast
import fractions
import math
from typing import Callable, Tuple

__all__ = ["RUN_LENGTH", "STEP_ARGUMENTS", "FORMS", "is_step_argument", "mentions_run_length",
           "linear_form", "rounded"]

RUN_LENGTH = "train_steps"  # the name of the run's length in a template
# Step-count arguments that may be written with `train_steps`, besides every argument
# whose name contains "step" (decay_steps, total_steps, num_training_steps, ...).
STEP_ARGUMENTS = frozenset({"t_max", "t_0", "t_initial", "decay_t", "warmup_t", "total_iters",
                            "boundaries", "milestones", "anneal_epochs", "offset"})
FORMS = ("train_steps times or divided by numbers > 0 (train_steps*0.8, 3*train_steps/4, "
         "train_steps/3), then optionally + c or - c")


def is_step_argument(name: str) -> bool:
    """Whether a factory argument is a step count (may be written with `train_steps`)."""
    return "step" in name or name in STEP_ARGUMENTS


def mentions_run_length(node: ast.AST) -> bool:
    """Whether `node` is an expression of `train_steps` (not a call or list holding one)."""
    if isinstance(node, ast.Name):
        return node.id == RUN_LENGTH
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return any(isinstance(part, ast.Name) and part.id == RUN_LENGTH
                   for part in ast.walk(node))
    return False


def linear_form(node: ast.AST, source: Callable[[ast.AST], str],
                bad: Callable[[str], Exception]) -> Tuple[fractions.Fraction, fractions.Fraction]:
    """`(k, c)` with `node` = k * train_steps + c, exactly.

    Args:
      node: The expression's `ast` node.
      source: The source text of a node (the literals are read from their text).
      bad: Makes the exception to raise from a reason ("a factor must be > 0").
    """
    def number(part: ast.AST, what: str) -> fractions.Fraction:
        if not (isinstance(part, ast.Constant) and type(part.value) in (int, float)
                and math.isfinite(part.value)):
            raise bad(f"{what} must be a number, got {source(part)!r}")
        return fractions.Fraction(source(part).replace("_", ""))

    def scale(part: ast.AST) -> fractions.Fraction:
        if isinstance(part, ast.Name) and part.id == RUN_LENGTH:
            return fractions.Fraction(1)
        if not (isinstance(part, ast.BinOp) and isinstance(part.op, (ast.Mult, ast.Div))):
            raise bad("unsupported expression")
        if isinstance(part.op, ast.Mult) and not isinstance(part.left, ast.Constant):
            factor, inner = number(part.right, "a factor"), part.left
        elif isinstance(part.op, ast.Mult):
            factor, inner = number(part.left, "a factor"), part.right
        else:
            factor, inner = number(part.right, "a divisor"), part.left
            if factor <= 0:
                raise bad("a divisor must be > 0")
            factor = 1 / factor
        if factor <= 0:
            raise bad("a factor must be > 0")
        return factor * scale(inner)

    shift = fractions.Fraction(0)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        shift = number(node.right, "the added or subtracted c")
        shift = shift if isinstance(node.op, ast.Add) else -shift
        node = node.left
    return scale(node), shift


def rounded(scale: fractions.Fraction, shift: fractions.Fraction, train_steps: int) -> int:
    """`scale * train_steps + shift`, rounded to the nearest integer, halves up."""
    return math.floor(scale * train_steps + shift + fractions.Fraction(1, 2))
