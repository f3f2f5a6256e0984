"""Malformed `[tool.analyzer]` values are one clear error naming the key and the type; symbolic links and
includes that lead out of the repository are never read."""

from __future__ import annotations

import os

import pytest

from analyzer.config import SETTINGS, ConfigError, load_scan_config
from analyzer.discover import list_files, outside_links
from analyzer.config import ScanConfig
from analyzer.requirements import find_requirements
from analyzer.scan import ScanOptions, scan
from tests.conftest import write_repo
from tests.hardening.hostile import cli


@pytest.mark.parametrize("line, message", [
    ("roots = 5", "roots must be a list of strings, not 5 (an integer)"),
    ('roots = "pkg"', "roots must be a list of strings, not 'pkg' (a string)"),
    ('max_file_bytes = "lots"', "max_file_bytes must be a positive integer, not 'lots' (a string)"),
    ("max_file_bytes = -1", "max_file_bytes must be a positive integer, not -1 (an integer)"),
    ("max_file_bytes = true", "max_file_bytes must be a positive integer, not True (a boolean)"),
    ("max_file_seconds = 0", "max_file_seconds must be a positive number, not 0 (an integer)"),
    ('exclude = ["a", 3]', "exclude must be a list of strings, not ['a', 3] (a list)"),
    ("checks = 3", "checks must be a table of tables, not 3 (an integer)"),
    ('roots = [".."]', "machine root '..' must be a top-level folder name"),
])
def test_a_malformed_setting_names_the_key_and_the_type(tmp_path, line, message):
    write_repo(tmp_path, {"pyproject.toml": f"[tool.analyzer]\n{line}\n"})
    with pytest.raises(ConfigError) as error:
        load_scan_config(tmp_path)
    assert message in str(error.value)


def test_an_unknown_setting_is_a_warning_and_known_ones_apply(tmp_path):
    write_repo(tmp_path, {"pyproject.toml": "[tool.analyzer]\nrots = ['a']\nmax_file_seconds = 2.5\nroots = ['a']\n"})
    config = load_scan_config(tmp_path)
    assert (config.roots, config.max_file_seconds) == (["a"], 2.5)
    assert config.warnings == [f"pyproject.toml: [tool.analyzer] rots is not a setting (known: {', '.join(SETTINGS)}); "
                               "it is ignored"]


@pytest.mark.slow
def test_the_command_prints_one_line_and_exits_2(tmp_path):
    write_repo(tmp_path, {"pyproject.toml": "[tool.analyzer]\nmax_file_bytes = \"lots\"\n", "a.py": "x = 1\n"})
    result = cli("scan", str(tmp_path), "--store", str(tmp_path / "store"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == ("error: pyproject.toml: [tool.analyzer] max_file_bytes must be a positive integer, "
                             "not 'lots' (a string)\n")


def test_links_out_of_the_repository_are_skipped_and_listed(tmp_path):
    outside = write_repo(tmp_path / "outside", {"secret.py": "TOKEN = 'x'\n", "ports.yaml": "ports: {X: 1}\n"})
    repo = write_repo(tmp_path / "repo", {"agents/real.py": "import os\n"})
    os.symlink("/etc/passwd", repo / "agents" / "x.py")
    os.symlink(outside / "secret.py", repo / "agents" / "y.py")
    os.symlink(outside / "ports.yaml", repo / "ports.yaml")
    os.symlink(outside, repo / "linked_folder")
    os.symlink(repo / "agents" / "real.py", repo / "agents" / "alias.py")  # stays inside: kept
    config = ScanConfig()
    assert [f.path for f in list_files(repo, config)] == ["agents/alias.py", "agents/real.py"]
    assert [f.path for f in list_files(repo, config, suffixes=("",))] == ["agents/alias.py", "agents/real.py"]
    assert outside_links(repo, config) == ["agents/x.py", "agents/y.py", "linked_folder", "ports.yaml"]
    report = scan(ScanOptions(repo=repo, store=str(tmp_path / "store"), use_cache=False, jobs=1))
    assert (report.files, report.config_files) == (2, 0)
    assert report.outside_links == ["agents/x.py", "agents/y.py", "linked_folder", "ports.yaml"]


def test_a_requirements_include_out_of_the_repository_is_not_read(tmp_path):
    (tmp_path / "outside.txt").write_text("leaked-package==1.0\n")
    repo = write_repo(tmp_path / "repo", {"requirements.txt": "-r /etc/passwd\n-r ../outside.txt\nrequests==2.0\n"})
    os.symlink(tmp_path / "outside.txt", repo / "requirements-extra.txt")
    write_repo(repo, {"requirements-dev.txt": "-r requirements-extra.txt\n"})
    found = find_requirements(repo, ScanConfig())
    rows = [(r.path, r.name, r.error) for f in found.files for r in f.requirements]
    assert ("requirements.txt", "", "includes /etc/passwd, which is outside the repository") in rows
    assert ("requirements.txt", "", "includes ../outside.txt, which is outside the repository") in rows
    assert ("requirements-dev.txt", "", "includes requirements-extra.txt, which is outside the repository") in rows
    assert "leaked-package" not in repr(rows) and "root" not in repr(rows)
