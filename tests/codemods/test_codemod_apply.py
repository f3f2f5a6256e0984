"""The apply engine: verified atomic writes, skipped files, parallel = serial, chained dry runs."""

from __future__ import annotations

import os
import stat

import libcst as cst
import pytest

from agent_graph_codemods.apply import FAILED, atomic_write, run_codemod
from agent_graph_codemods.asyncio_run import AsyncioRun
from agent_graph_codemods.bare_except import BareExcept
from agent_graph_codemods.base import Rewrite
from agent_graph_codemods.tree import TEMP_SUFFIX, discover


def test_atomic_write_keeps_mode_and_leaves_no_temporary_file(tmp_path) -> None:
    path = tmp_path / "agent.py"
    path.write_bytes(b"old\n")
    path.chmod(0o751)
    atomic_write(path, b"new\n", expected=b"old\n")
    assert path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert os.listdir(tmp_path) == ["agent.py"]


def test_atomic_write_refuses_a_file_changed_underneath(tmp_path) -> None:
    path = tmp_path / "agent.py"
    path.write_bytes(b"edited by someone\n")
    with pytest.raises(OSError, match="changed on disk"):
        atomic_write(path, b"new\n", expected=b"old\n")
    assert path.read_bytes() == b"edited by someone\n"
    assert os.listdir(tmp_path) == ["agent.py"]


def test_atomic_write_creates_new_files_with_the_umask(tmp_path) -> None:
    target = tmp_path / "config" / "ports.yaml"
    atomic_write(target, b"ports: {}\n")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


@pytest.mark.slow  # starts a pool of worker processes (spawn)
def test_parallel_run_equals_serial_run(agent_tree, layout, tmp_path) -> None:
    serial = run_codemod(BareExcept(), discover(agent_tree), jobs=1)
    parallel = run_codemod(BareExcept(), discover(agent_tree), jobs=2)
    assert [(o.path, o.new, o.edits) for o in serial.changed] == [(o.path, o.new, o.edits) for o in parallel.changed]
    assert [o.path for o in parallel.unparsable] == layout.unparsable
    assert serial.sites == parallel.sites > 0


def test_tool_folders_are_skipped(agent_tree, layout) -> None:
    tree = discover(agent_tree)
    assert tree.files == layout.sources
    assert not tree.in_git


def test_gitignored_files_are_skipped(agent_repo, layout) -> None:
    (agent_repo / ".gitignore").write_text("generated/\n")
    layout.write(agent_repo, {"generated/out.py": b"try:\n    x()\nexcept:\n    pass\n"})
    tree = discover(agent_repo)
    assert tree.in_git and tree.root == agent_repo.resolve()
    assert "generated/out.py" not in tree.files and tree.ignored == 1
    assert discover(agent_repo / "pc2_code").files == [p for p in layout.sources if p.startswith("pc2_code/")]


def test_symlinks_are_not_followed_or_replaced(tmp_path) -> None:
    real = tmp_path / "real.py"
    real.write_text("try:\n    x()\nexcept:\n    pass\n")
    (tmp_path / "link.py").symlink_to(real)
    assert discover(tmp_path).files == ["real.py"]


def test_a_rewrite_that_does_not_parse_is_not_written(tmp_path, monkeypatch) -> None:
    source = tmp_path / "agent.py"
    source.write_text("try:\n    x()\nexcept:\n    pass\n")

    def broken(self, module, path, file_plan):
        # libcst accepts a module-level `return`; compile() does not.
        return Rewrite(module.with_changes(body=[cst.parse_statement("return 1\n")]))

    monkeypatch.setattr(BareExcept, "rewrite", broken)
    report = run_codemod(BareExcept(), discover(tmp_path), write=True)
    assert [o.status for o in report.failed] == [FAILED]
    assert "does not parse" in report.failed[0].reason
    assert source.read_text() == "try:\n    x()\nexcept:\n    pass\n"


def test_a_codemod_crash_on_one_file_is_listed_not_fatal(tmp_path, monkeypatch) -> None:
    (tmp_path / "a.py").write_text("try:\n    x()\nexcept:\n    pass\n")
    (tmp_path / "b.py").write_text("x = 1\n")  # no `except`: never parsed, never listed

    def explode(self, module, path, file_plan):
        raise RuntimeError("boom")

    monkeypatch.setattr(BareExcept, "rewrite", explode)
    report = run_codemod(BareExcept(), discover(tmp_path))
    assert [(o.path, o.reason) for o in report.failed] == [("a.py", "codemod error: RuntimeError: boom")]


def test_dry_runs_chain_through_the_overlay(tmp_path) -> None:
    (tmp_path / "main.py").write_text(
        "import asyncio\ntry:\n    import uvloop\nexcept:\n    pass\n"
        "asyncio.get_event_loop().run_until_complete(main())\n"
    )
    tree = discover(tmp_path)
    first = run_codemod(BareExcept(), tree)
    second = run_codemod(AsyncioRun(), tree, overlay={o.path: o.new for o in first.changed})
    assert second.changed[0].old == first.changed[0].new
    assert b"except Exception:" in second.changed[0].new and b"asyncio.run(main())" in second.changed[0].new
    assert (tmp_path / "main.py").read_text().count("except:") == 1  # dry: nothing written


def test_no_temporary_files_remain_after_a_run(agent_tree) -> None:
    run_codemod(BareExcept(), discover(agent_tree), write=True, jobs=2)
    assert not [p for p in agent_tree.rglob(f"*{TEMP_SUFFIX}")]
