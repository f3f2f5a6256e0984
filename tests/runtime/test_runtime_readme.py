"""The README's runtime example names only what `agent_runtime` exports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import agent_runtime

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_runtime_example_imports_exist():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    imported = {
        alias.name
        for block in blocks
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.ImportFrom) and node.module == "agent_runtime"
        for alias in node.names
    }
    assert {"get_port", "bind", "SafeExecutor", "GpuProbe", "ModelManager", "quantize_model"} <= imported
    missing = sorted(name for name in imported if not hasattr(agent_runtime, name))
    assert not missing, f"README imports names agent_runtime does not export: {missing}"
