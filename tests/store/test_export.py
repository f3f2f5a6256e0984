"""`analyzer export --format neo4j-admin`: well-formed import CSVs whose rows match the graph."""

from __future__ import annotations

import csv
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.export import CapturingStore, csv_field, export_neo4j_admin, node_header, rel_header
from analyzer.scan import ScanOptions, scan
from analyzer.schema import NODES_BY_NAME, RELS_BY_NAME

ROOT = Path(__file__).resolve().parents[2]
TYPE_CHECKS = {
    "long": lambda text: text.lstrip("-").isdigit(),
    "boolean": lambda text: text in ("true", "false"),
}


def _graph(repo, name="small"):
    capture = CapturingStore()
    scan(ScanOptions(repo=repo, use_cache=False, jobs=1, repository=name), store=capture)
    return capture.graphs[0]


def _read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _typed_columns(header: list[str]) -> dict[int, str]:
    return {i: h.rsplit(":", 1)[1] for i, h in enumerate(header) if ":" in h and h.rsplit(":", 1)[1] in TYPE_CHECKS}


def test_csv_fields_quote_strings_and_leave_nulls_empty():
    assert [csv_field(v) for v in (None, True, False, 0, -3, "", 'say "hi", then\nbye')] == [
        "", "true", "false", "0", "-3", '""', '"say ""hi"", then\nbye"']


def test_headers_follow_the_import_tool_format():
    assert node_header("Module")[:2] == ["id:ID(Module)", ":LABEL"]
    assert {"lines:long", "is_agent:boolean", "path"} <= set(node_header("Module"))
    assert rel_header("IMPORTS") == [":START_ID(Module)", ":END_ID(Module)", ":TYPE", "line:long", "lines",
                                     "lazy:boolean", "guarded:boolean"]


def test_export_is_well_formed_and_matches_the_graph(tmp_path, small_repo):
    graph = _graph(small_repo)
    result = export_neo4j_admin([graph], tmp_path / "out")
    ids: dict[str, set[str]] = {}
    for header_path, data_path in result.node_files:
        header, rows = _read(header_path)[0], _read(data_path)
        label = header[0][len("id:ID("):-1]
        table = NODES_BY_NAME[label]
        assert [h.split(":")[0] for h in header[2:]] == [c for c in table.columns if c != "id"]
        assert all(len(row) == len(header) and row[1] == label for row in rows)
        expected = 1 if label == "Repository" else graph.count(label)
        assert len(rows) == expected == result.counts[label]
        ids[label] = {row[0] for row in rows}
        assert len(ids[label]) == len(rows)  # ids unique within their ID space
        for index, kind in _typed_columns(header).items():
            assert all(row[index] == "" or TYPE_CHECKS[kind](row[index]) for row in rows), (label, header[index])
    for header_path, data_path in result.rel_files:
        header, rows = _read(header_path)[0], _read(data_path)
        rel = RELS_BY_NAME[rows[0][2]]
        assert header[:3] == [f":START_ID({rel.source})", f":END_ID({rel.target})", ":TYPE"]
        assert len(rows) == graph.count(rel.name) == result.counts[rel.name]
        assert all(r[0] in ids[rel.source] and r[1] in ids[rel.target] and r[2] == rel.name for r in rows)
    assert sum(1 for name in result.counts if name in NODES_BY_NAME) >= 8
    assert "IMPORTS" in result.counts and "IN_CYCLE" in result.counts


def test_odd_strings_survive_the_round_trip(tmp_path, small_repo):
    graph = _graph(small_repo)
    result = export_neo4j_admin([graph], tmp_path / "out")
    todo = {row[0]: row for row in _read(tmp_path / "out" / "Todo.nodes.csv")}
    header = _read(tmp_path / "out" / "Todo.nodes.header.csv")[0]
    [written] = graph.nodes["Todo"].rows()
    assert todo[written["id"]][header.index("text")] == written["text"] and '"' in written["text"]
    assert result.counts["Todo"] == 1


def test_import_command_names_every_file(tmp_path, small_repo):
    result = export_neo4j_admin([_graph(small_repo)], tmp_path / "out", paths_as="/import", database="code")
    words = shlex.split(result.command)
    assert words[:5] == ["neo4j-admin", "database", "import", "full", "code"]
    assert {"--id-type=string", "--multiline-fields=true"} <= set(words)
    assert not any(w.startswith("--overwrite-destination") for w in words)  # never replaces a database unasked
    named = [w.split("=", 1)[1] for w in words if w.startswith(("--nodes=", "--relationships="))]
    expected = [f"/import/{h.name},/import/{d.name}" for h, d in [*result.node_files, *result.rel_files]]
    assert named == expected
    assert (tmp_path / "out" / "neo4j-admin-import.sh").read_text().rstrip().endswith(result.command)
    assert "REQUIRE n.id IS UNIQUE" in (tmp_path / "out" / "schema.cypher").read_text()


def test_overwriting_a_database_takes_the_flag_and_says_what_is_lost(tmp_path, small_repo):
    runner = CliRunner()
    args = ["export", str(tmp_path / "out"), str(small_repo), "--cache-dir", str(tmp_path / "cache")]
    safe, replacing = runner.invoke(app, args), runner.invoke(app, [*args, "--overwrite-database"])
    assert safe.exit_code == replacing.exit_code == 0
    assert "--overwrite-destination" not in safe.stdout and "fails if it exists" in safe.stderr
    assert "--overwrite-destination=true" in shlex.split(replacing.stdout)
    warning = " ".join(replacing.stderr.split())
    assert "WARNING: this import deletes database 'neo4j' first: every repository it holds is lost" in warning
    assert "every repository it holds is lost" in (tmp_path / "out" / "neo4j-admin-import.sh").read_text()


def _admin(lib: Path, home: Path, command: str) -> subprocess.CompletedProcess:
    """The exported `neo4j-admin ...` command, run with Neo4j's own AdminTool on `home` (small heap; its
    import.report lands in `home` too)."""
    java = ["java", "-Xmx512m", "-cp", f"{lib}/*", "org.neo4j.cli.AdminTool"]
    return subprocess.run(java + shlex.split(command)[1:], capture_output=True, text=True, timeout=300, check=False,
                          cwd=home, env={**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")})


@pytest.mark.slow
def test_neo4j_admin_imports_the_files_and_never_replaces_a_database_unasked(tmp_path, small_repo):
    lib = Path(os.environ.get("NEO4J_LOCAL_DIR", ROOT / ".neo4j")) / "lib"
    if shutil.which("java") is None or not any(lib.glob("neo4j-command-line-*.jar")):
        pytest.skip(f"needs java and Neo4j's jars in {lib} (scripts/neo4j-local.sh start fetches them)")
    home = tmp_path / "home"
    (home / "conf").mkdir(parents=True)
    (home / "conf" / "neo4j.conf").write_text("")
    graph = _graph(small_repo)
    first = _admin(lib, home, export_neo4j_admin([graph], tmp_path / "once").command)
    assert first.returncode == 0, first.stdout[-2000:]
    imported = sum(len(graph.nodes[t]) for t in NODES_BY_NAME if t != "Repository") + 1  # and the Repository node
    assert f"{imported} nodes" in first.stdout
    again = _admin(lib, home, export_neo4j_admin([graph], tmp_path / "again").command)
    assert again.returncode != 0 and "Database already exist" in again.stdout + again.stderr


def test_several_repositories_share_the_files(tmp_path, small_repo):
    one, two = _graph(small_repo, "one"), _graph(small_repo, "two")
    result = export_neo4j_admin([one, two], tmp_path / "out")
    assert result.counts["Repository"] == 2
    assert result.counts["Module"] == one.count("Module") + two.count("Module")


@pytest.mark.parametrize("source", ["path", "store"])
def test_cli_export(tmp_path, small_repo, source):
    runner = CliRunner()
    out = tmp_path / "out"
    if source == "path":
        args = ["export", str(out), str(small_repo), "--cache-dir", str(tmp_path / "cache")]
    else:
        scan(ScanOptions(repo=small_repo, store=str(tmp_path / "store"), use_cache=False, jobs=1))
        args = ["export", str(out), "--store", str(tmp_path / "store")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("neo4j-admin database import full neo4j ")
    modules = _read(out / "Module.nodes.csv")
    assert len(modules) == 6 and all(row[1] == "Module" for row in modules)


def test_cli_export_of_an_empty_store_fails_clearly(tmp_path):
    result = CliRunner().invoke(app, ["export", str(tmp_path / "out"), "--store", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no scan" in result.output
    unknown = CliRunner().invoke(app, ["export", str(tmp_path / "out"), "--format", "graphml"])
    assert unknown.exit_code == 2 and "unknown --format" in unknown.output
