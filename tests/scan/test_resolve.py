"""Import resolution the way agent systems use sys.path, and cycle canonicalisation."""

from __future__ import annotations

from analyzer.extract import extract_file
from analyzer.resolve import resolve_repository


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


def test_cycles_are_canonical_with_closing_lines_and_deferred_flag():
    resolution = resolve_repository(_facts({
        "main_pc_code/agents/c.py": "import os\nfrom agents.a import x\n",
        "main_pc_code/agents/a.py": "from agents.b import y\n",
        "main_pc_code/agents/b.py": "from agents.c import z\n",
        "main_pc_code/agents/d.py": "def later():\n    from agents.e import q\n",
        "main_pc_code/agents/e.py": "from agents.d import p\n",
    }))
    cycles = [(c.members, c.closing_lines, c.deferred_only) for c in resolution.cycles]
    assert cycles == [
        (("main_pc_code.agents.d", "main_pc_code.agents.e"), (2, 1), True),
        (("main_pc_code.agents.a", "main_pc_code.agents.b", "main_pc_code.agents.c"), (1, 1, 2), False),
    ]
    assert len(set(resolution.components.values())) == 2


def test_port_from_imported_constant_is_resolved():
    files = _facts({
        "common/ports.py": "TRANSLATOR_PORT = 5563\n",
        "main_pc_code/agents/t.py": "from common.ports import TRANSLATOR_PORT\ns.bind(f'tcp://*:{TRANSLATOR_PORT}')\n",
    })
    resolve_repository(files)
    endpoint = files[1].endpoints[0]
    assert (endpoint.port, endpoint.port_source) == (5563, "imported_constant")
