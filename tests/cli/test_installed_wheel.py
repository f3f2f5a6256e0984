"""The analyzer installed from its wheel: specific import names only, and the rule files found as data.

Slow: it builds the wheel from a copy of the checkout and installs it into a fresh virtual environment
whose dependencies come from this one's site-packages (read as plain paths, so this checkout's editable
finders are not active there).
"""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from agent_graph_codemods import all_codemods

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(python: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], capture_output=True, text=True, timeout=600, cwd="/")


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the python of a fresh environment it is installed in)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for folder in ("analyzer", "codemods", "queries"):
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("agent_graph_analyzer-*.whl")

    environment = work / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                                "--no-deps", str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr[-3000:]
    own_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    # Dependencies: this environment's site-packages, and agent_runtime's source (installed editable here).
    dependencies = [*site.getsitepackages(), str(REPO / "runtime")]
    (own_site / "dependencies.pth").write_text("\n".join(dependencies) + "\n", encoding="utf-8")
    return wheel, python


def test_the_wheel_installs_no_generic_top_level_package(wheel_env):
    wheel, _ = wheel_env
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))}
    assert top_level == {"analyzer", "agent_graph_codemods"}
    rules = sorted(name.rsplit("/", 1)[1] for name in names if name.endswith(".cypher"))
    assert rules == sorted(path.name for path in (REPO / "queries").glob("*.cypher"))
    assert all("/data/share/agent-graph-analyzer/queries/" in name for name in names if name.endswith(".cypher"))


def test_the_installed_analyzer_lists_every_rule_and_codemod(wheel_env):
    _, python = wheel_env
    listed = run(python, str(python.parent / "analyzer"), "query", "--list", "--format", "json")  # the entry point
    assert listed.returncode == 0, listed.stderr
    assert sorted(row["id"] for row in json.loads(listed.stdout)) == sorted(
        path.stem for path in (REPO / "queries").glob("*.cypher"))
    located = run(python, "-c", "import analyzer.queries as q, agent_graph_codemods as c; "
                                "print(q.QUERY_FOLDER); print(c.__file__); print(len(c.all_codemods()))")
    assert located.returncode == 0, located.stderr
    folder, codemods_file, count = located.stdout.split()
    assert not folder.startswith(str(REPO)) and not codemods_file.startswith(str(REPO))  # the installed copy
    assert int(count) == len(all_codemods())  # the checkout's registry: the wheel left none out
    for generic in ("queries", "codemods"):
        assert "ModuleNotFoundError" in run(python, "-c", f"import {generic}").stderr, generic
