"""README.md and .ci/run stay in step: CI runs exactly the README's test command."""

import pathlib
import shlex

REPO = pathlib.Path(__file__).resolve().parent.parent


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


def test_ci_runs_the_readme_test_commands():
    readme = (REPO / "README.md").read_text()
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
                if "pytest" in line and not line.lstrip().startswith("#")]
    blocks = _bash_blocks(readme)
    assert len(ci_lines) == 4
    assert ci_lines[0] == blocks[1]  # the README's second command: "Run the tests"
    for line in ci_lines[1:]:  # TensorFlow 2.15; JAX and optax; PyTorch
        assert any(line in block.splitlines() for block in blocks), line


def test_readme_main_job_names_a_real_flagfile():
    main_job = _bash_blocks((REPO / "README.md").read_text())[0]
    flagfiles = [arg.split("=", 1)[1] for arg in shlex.split(main_job)
                 if arg.startswith("--flagfile=")]
    assert flagfiles and all((REPO / f).is_file() for f in flagfiles)
    assert "models.resnet_mnist.train" in main_job
