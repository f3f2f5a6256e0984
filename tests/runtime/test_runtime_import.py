"""``import agent_runtime`` stays cheap and lazy: nothing heavy until a name is used."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

import agent_runtime

REPO = Path(__file__).resolve().parents[2]
HEAVY = ["zmq", "prometheus_client", "pydantic", "yaml", "torch", "transformers", "bitsandbytes", "torchao", "pynvml"]


def run_python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=True)


def import_time_ms() -> float:
    """Cumulative time of ``import agent_runtime`` alone, from -X importtime (interpreter start excluded)."""
    stderr = run_python("-X", "importtime", "-c", "import agent_runtime").stderr
    for line in stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == "agent_runtime":
            return int(parts[1]) / 1000
    raise AssertionError(f"no 'agent_runtime' line in -X importtime output:\n{stderr[-2000:]}")


def test_import_runtime_is_fast():
    times = [import_time_ms() for _ in range(5)]
    assert statistics.median(times) < 100, times


def loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nimport json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    return json.loads(run_python("-c", probe).stdout)


def test_import_runtime_loads_nothing_heavy():
    assert loaded_after("import agent_runtime; assert agent_runtime.__file__.startswith(%r)" % str(REPO)) == []


def test_ports_and_errors_stay_light():
    assert loaded_after("from agent_runtime import get_port, endpoint, SafeExecutor") == []


def test_gpu_models_and_metrics_never_import_torch():
    loaded = loaded_after("from agent_runtime import GpuProbe, ModelManager, MetricsCollector; GpuProbe().snapshot()")
    assert "torch" not in loaded and "prometheus_client" in loaded


@pytest.mark.parametrize("name", agent_runtime.__all__)
def test_every_public_name_resolves(name):
    assert getattr(agent_runtime, name) is not None
    assert name in dir(agent_runtime)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        agent_runtime.nope  # noqa: B018


def test_all_is_static_and_every_export_is_visible_to_type_checkers():
    """`__all__` is a literal list and each name is imported under `if TYPE_CHECKING:` (editors, mypy)."""
    import ast

    tree = ast.parse(Path(agent_runtime.__file__).read_text(encoding="utf-8"))
    (literal,) = [n.value for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "__all__"]
    assert isinstance(literal, ast.List) and all(isinstance(e, ast.Constant) for e in literal.elts)
    listed = [e.value for e in literal.elts]
    guarded = {
        alias.asname or alias.name: stmt.module
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for stmt in node.body if isinstance(stmt, ast.ImportFrom)
        for alias in stmt.names
    }
    assert sorted(listed) == sorted(guarded) == sorted(agent_runtime.__all__)
    # The lazy lookup imports each name from the module type checkers were told about.
    assert {name: f"agent_runtime.{module}" for name, module in agent_runtime._MODULE_OF.items()} == guarded
