"""README.md and .ci/run stay in step: CI runs exactly the README's test commands."""

import os
import pathlib
import re
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


def test_docs_are_short_linked_and_name_no_issue_numbers():
    """README.md under 200 lines; every relative link of README.md, docs/*.md, BENCHMARKS.md and
    BUILD.md reaches a file (and its `#anchor` a heading, GitHub's slugs); no text file of the
    repository names an issue number (say what, not which issue)."""

    def without_code_blocks(text):
        return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)

    def slugs(path):
        found, seen = set(), {}
        for heading in re.findall(r"^#{1,6} +(.+?) *#*$", without_code_blocks(path.read_text()),
                                  flags=re.M):
            slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
        return found

    readme_lines = (REPO / "README.md").read_text().count("\n")
    assert readme_lines < 200, f"README.md has {readme_lines} lines; move detail into docs/"
    pages = [REPO / "README.md", REPO / "BENCHMARKS.md", REPO / "BUILD.md",
             *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", without_code_blocks(page.read_text())):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            name, _, anchor = target.partition("#")
            linked = (page.parent / name).resolve() if name else page
            if not linked.is_file() or (anchor and linked.suffix == ".md"
                                        and anchor not in slugs(linked)):
                broken.append(f"{page.relative_to(REPO)}: ({target})")
    assert not broken, broken

    skipped_dirs = {"__pycache__", "runs", "previews", "plots", "build", "dist"}
    suffixes = {".py", ".md", ".flags", ".cfg", ".toml", ".txt", ".sh", ".ini", ".yml", ".yaml"}
    issue_numbers = re.compile(r"\bissues?[ -]?#?\d+", re.I)
    named = []
    for directory, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in skipped_dirs and not d.endswith(".egg-info")
                   and (d in (".ci", ".github") or not d.startswith("."))]  # not .git, .venv*
        for file_name in files:
            path = pathlib.Path(directory, file_name)
            if path.suffix in suffixes or path == REPO / ".ci" / "run":
                for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    if issue_numbers.search(line):
                        named.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not named, named
