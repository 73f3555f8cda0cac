"""README.md and .ci/run stay in step: CI runs exactly the README's test commands."""

import shlex

from tests.support.programs import REPO_ROOT as REPO

# The two tiers (tests/conftest.py): the fast one is the README's "Run the tests"; CI runs the
# slow one right after, in the same environment.
FAST_TIER = ("python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
             ".venv/bin/python -m pytest -q -n 2 --dist loadfile")
SLOW_TIER = ".venv/bin/python -m pytest -q -n 2 --dist loadfile --tier=slow"


def _bash_blocks(text):
    blocks, inside, current = [], False, []
    for line in text.splitlines():
        if line.startswith("```"):
            if inside:
                blocks.append("\n".join(current))
            inside, current = not inside and line.strip() == "```bash", []
        elif inside:
            current.append(line)
    return blocks


def _ci_test_lines():
    return [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
            if "pytest" in line and not line.lstrip().startswith("#")]


def test_ci_runs_the_readme_test_commands():
    readme = (REPO / "README.md").read_text()
    ci_lines = _ci_test_lines()
    blocks = _bash_blocks(readme)
    assert len(ci_lines) == 5
    assert ci_lines[:2] == [FAST_TIER, SLOW_TIER]  # the fast tier, then the slow one
    assert FAST_TIER in blocks[1].splitlines()  # the README's second command: "Run the tests"
    readme_lines = {line for block in blocks for line in block.splitlines()}
    for line in ci_lines[1:]:  # the slow tier; TensorFlow 2.15; JAX and optax; PyTorch
        assert line in readme_lines, line


def test_ci_runs_both_tiers_on_tensorflow_2_15():
    [tf215] = [line for line in _ci_test_lines() if ".venv-tf215/bin/python -m pytest" in line]
    assert "--tier=all" in shlex.split(tf215)


def test_readme_main_job_names_a_real_flagfile():
    main_job = _bash_blocks((REPO / "README.md").read_text())[0]
    flagfiles = [arg.split("=", 1)[1] for arg in shlex.split(main_job)
                 if arg.startswith("--flagfile=")]
    assert flagfiles and all((REPO / f).is_file() for f in flagfiles)
    assert "models.resnet_mnist.train" in main_job
