"""Import resolution the way agent systems use sys.path, and cycle canonicalisation."""

from __future__ import annotations

from analyzer.extract import extract_file
import random

import networkx as nx
import pytest

from analyzer.resolve import bounded_cycles, module_name, resolve_repository


def _facts(files: dict[str, str]):
    return [extract_file(path, code.encode(), path.split("/")[0]) for path, code in sorted(files.items())]


def _edges(resolution):
    return sorted({(e.importer, e.target) for e in resolution.edges})


def test_sys_path_style_import_resolves_inside_the_importers_machine():
    resolution = resolve_repository(_facts({
        "main_pc_code/agents/a.py": "from agents.b import B\n",
        "main_pc_code/agents/b.py": "B = 1\n",
        "pc2_code/agents/b.py": "B = 2\n",
    }))
    assert _edges(resolution) == [("main_pc_code/agents/a.py", "main_pc_code/agents/b.py")]


def test_repository_root_wins_over_machine_folder():
    resolution = resolve_repository(_facts({
        "common/util.py": "X = 1\n",
        "main_pc_code/common/util.py": "X = 2\n",
        "main_pc_code/agents/a.py": "import common.util\n",
    }))
    # Both bases give the same depth; the repository root comes first.
    assert _edges(resolution) == [("main_pc_code/agents/a.py", "common/util.py")]


def test_deepest_match_wins_across_bases():
    resolution = resolve_repository(_facts({
        "utils/__init__.py": "",
        "pc2_code/utils/net.py": "",
        "main_pc_code/agents/a.py": "from utils.net import connect\n",
    }))
    assert _edges(resolution) == [("main_pc_code/agents/a.py", "pc2_code/utils/net.py")]


def test_stdlib_name_never_resolves_to_a_repository_folder():
    resolution = resolve_repository(_facts({
        "main_pc_code/logging/__init__.py": "",
        "main_pc_code/agents/a.py": "import logging\nimport json\n",
    }))
    assert _edges(resolution) == []
    assert sorted((x.package, x.stdlib) for x in resolution.externals) == [("json", True), ("logging", True)]


def test_relative_and_from_package_imports_reach_submodules():
    resolution = resolve_repository(_facts({
        "pc2_code/utils/__init__.py": "",
        "pc2_code/utils/a.py": "from . import b\nfrom .c import f\n",
        "pc2_code/utils/b.py": "",
        "pc2_code/utils/c.py": "def f(): pass\n",
    }))
    assert _edges(resolution) == [("pc2_code/utils/a.py", "pc2_code/utils/b.py"), ("pc2_code/utils/a.py", "pc2_code/utils/c.py")]


def test_unresolved_imports_are_kept_as_packages():
    resolution = resolve_repository(_facts({"main_pc_code/a.py": "import torch.nn as nn\nfrom transformers import AutoModel\n"}))
    assert sorted(x.package for x in resolution.externals) == ["torch", "transformers"]


def test_cycles_are_canonical_with_closing_lines_and_timing():
    resolution = resolve_repository(_facts({
        "main_pc_code/agents/c.py": "import os\nfrom agents.a import x\n",
        "main_pc_code/agents/a.py": "from agents.b import y\n",
        "main_pc_code/agents/b.py": "from agents.c import z\n",
        "main_pc_code/agents/d.py": "def later():\n    from agents.e import q\n",
        "main_pc_code/agents/e.py": "from agents.d import p\n",
    }))
    cycles = [(c.members, c.closing_lines, c.timing) for c in resolution.cycles]
    assert cycles == [
        (("main_pc_code.agents.d", "main_pc_code.agents.e"), (2, 1), "lazy"),
        (("main_pc_code.agents.a", "main_pc_code.agents.b", "main_pc_code.agents.c"), (1, 1, 2), "import-time"),
    ]
    assert len(set(resolution.components.values())) == 2


def test_a_cycle_through_a_module_level_try_is_guarded_not_lazy():
    """`try: from agents.b import B / except ImportError: B = None` runs at import time: the cycle bites
    (B becomes None); an import in the handler or under try/finally is not guarded; one inside a
    function is lazy even within a try."""
    resolution = resolve_repository(_facts({
        "main_pc_code/agents/a.py": "try:\n    from agents.b import B\nexcept ImportError:\n    B = None\n",
        "main_pc_code/agents/b.py": "from agents.a import A\nA = 1\n",
        "main_pc_code/agents/c.py": "try:\n    pass\nexcept ImportError:\n    from agents.d import D\n",
        "main_pc_code/agents/d.py": "try:\n    from agents.c import C\nfinally:\n    pass\n",
        "main_pc_code/agents/e.py": "def f():\n    try:\n        from agents.g import G\n    except ImportError:\n        pass\n",
        "main_pc_code/agents/g.py": "try:\n    from agents.e import E\nexcept ImportError:\n    E = None\n",
    }))
    timings = {c.members: c.timing for c in resolution.cycles}
    assert timings == {
        ("main_pc_code.agents.a", "main_pc_code.agents.b"): "guarded",
        ("main_pc_code.agents.c", "main_pc_code.agents.d"): "import-time",
        ("main_pc_code.agents.e", "main_pc_code.agents.g"): "lazy",
    }


@pytest.mark.parametrize("seed", range(12))
def test_bounded_cycles_equal_networkx_simple_cycles(seed):
    rng = random.Random(seed)
    names = [f"pkg/m{i:02d}.py" for i in range(14)]
    graph = nx.DiGraph((a, b) for a in names for b in names if a != b and rng.random() < 0.18)

    def canonical(cycle):
        start = cycle.index(min(cycle, key=module_name))
        return tuple(cycle[start:] + cycle[:start])
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        expected = {canonical(c) for c in nx.simple_cycles(graph.subgraph(component), length_bound=5)}
        found = bounded_cycles(graph, sorted(component), 5, 10**6)
        assert [tuple(c) for c in found] == [canonical(c) for c in found]  # each starts at its smallest name
        assert len(found) == len(set(map(tuple, found)))
        assert set(map(tuple, found)) == expected


def test_bounded_cycles_stop_at_the_limit_with_two_cycles_first():
    names = [f"m{i}.py" for i in range(6)]
    graph = nx.DiGraph((a, b) for a in names for b in names if a != b)  # every pair imports each other
    found = bounded_cycles(graph, names, 4, 20)
    assert len(found) == 20
    assert all(len(c) == 2 for c in found[:15])  # the 15 mutual pairs come before any longer cycle
