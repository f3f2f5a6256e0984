"""Names: undecodable file names are kept and scanned; repository names map to store folders one to one."""

from __future__ import annotations

import os
import subprocess

import pytest

from analyzer.scan import ScanOptions, scan
from analyzer.store import StoreError
from analyzer.store.ladybug import LadybugStore
from tests.conftest import write_repo
from tests.hardening.hostile import cli

BAD_NAME = b"agents/bad\xffname.py"


@pytest.mark.parametrize("with_git", [False, True])
def test_a_file_name_that_is_not_utf8_is_scanned_under_an_escaped_path(tmp_path, with_git):
    repo = write_repo(tmp_path / "repo", {"agents/ok.py": "import json\n"})
    with open(os.path.join(os.fsencode(repo), BAD_NAME), "wb") as handle:
        handle.write(b"import zmq\n# TODO: rename me\n")
    if with_git:
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    store = tmp_path / "store"
    report = scan(ScanOptions(repo=repo, store=str(store), cache_dir=str(tmp_path / "cache"), jobs=1))
    assert (report.files, report.parse_failures, report.todos) == (2, [], 1)
    opened = LadybugStore(store, read_only=True)
    try:
        rows = opened.query("MATCH (m:Module {snapshot: $snapshot}) RETURN m.path ORDER BY m.path").rows
    finally:
        opened.close()
    assert rows == [["agents/bad\\xffname.py"], ["agents/ok.py"]]
    again = scan(ScanOptions(repo=repo, store=str(store), cache_dir=str(tmp_path / "cache"), jobs=1))
    assert (again.unchanged, again.cache_hits) == (True, 2)


def _paths(store, name: str) -> list[str]:
    opened = LadybugStore(store, read_only=True)
    try:
        return [row[0] for row in opened.query("MATCH (m:Module {snapshot: $snapshot}) RETURN m.path ORDER BY m.path",
                                               repository=name).rows]
    finally:
        opened.close()


def test_names_that_sanitised_alike_get_folders_of_their_own(tmp_path):
    store = tmp_path / "store"
    for name, file in (("team a", "a.py"), ("team_a", "b.py"), ("team/a".replace("/", "%2F"), "c.py")):
        repo = write_repo(tmp_path / file, {file: "x = 1\n"})
        scan(ScanOptions(repo=repo, store=str(store), use_cache=False, jobs=1, repository=name))
    assert sorted(p.name for p in store.iterdir() if p.is_dir()) == ["team%20a", "team%252Fa", "team_a"]
    assert (_paths(store, "team a"), _paths(store, "team_a"), _paths(store, "team%2Fa")) == (["a.py"], ["b.py"], ["c.py"])
    assert sorted(LadybugStore(store, read_only=True).repositories()) == ["team a", "team%2Fa", "team_a"]


@pytest.mark.parametrize("name", ["..", ".", "a/b", "..\\x", "tab\there", ""])
def test_a_repository_name_that_could_escape_the_store_is_refused(tmp_path, name):
    repo = write_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    (tmp_path / "bystander.txt").write_text("keep me")
    store = tmp_path / "store"
    with pytest.raises(StoreError, match="repository name"):
        scan(ScanOptions(repo=repo, store=str(store), use_cache=False, jobs=1, repository=name))
    with pytest.raises(StoreError, match="repository name"):
        LadybugStore(store, read_only=True).query("RETURN 1", repository=name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bystander.txt", "repo"]  # refused before anything is written
    assert (tmp_path / "bystander.txt").read_text() == "keep me"


@pytest.mark.slow
def test_repo_dotdot_on_the_command_line_is_one_clear_error(tmp_path):
    repo = write_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    for command in (["scan", str(repo)], ["query", "--cypher", "RETURN 1"]):
        result = cli(*command, "--store", str(tmp_path / "store"), "--repo", "..")
        assert result.returncode == 2 and result.stderr.startswith("error: repository name '..' may not be")
        assert "Traceback" not in result.stderr
