"""`query --cypher` reads the graph and nothing else: statements that write files, read files, load or
install extensions, checkpoint or change the graph are refused before either store sees them."""

from __future__ import annotations

import pytest

from analyzer.scan import ScanOptions, scan
from analyzer.store import StoreError
from analyzer.store.ladybug import LadybugStore
from analyzer.store.readonly import check_read_only
from tests.conftest import write_repo
from tests.hardening.hostile import cli

FORBIDDEN = {
    "CHECKPOINT": "CHECKPOINT",
    "COPY TO": "COPY (MATCH (m:Module) RETURN m.path) TO '{out}/rows.csv'",
    "COPY FROM": "COPY Module FROM '{out}/rows.csv'",
    "EXPORT DATABASE": "EXPORT DATABASE '{out}/export'",
    "IMPORT DATABASE": "IMPORT DATABASE '{out}/export'",
    "LOAD FROM": "LOAD FROM '/etc/passwd' (header=false, delim=':') RETURN *",
    "LOAD CSV": "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "LOAD EXTENSION": "LOAD EXTENSION httpfs",
    "INSTALL": "INSTALL httpfs",
    "ATTACH": "ATTACH '{out}/other.lbdb' AS other (dbtype lbug)",
    "CREATE": "CREATE (:Module {{id: 'x', snapshot: 'x'}})",
    "MERGE": "MERGE (m:Module {{id: 'x'}}) RETURN m.id",
    "SET": "MATCH (m:Module) SET m.path = 'x'",
    "DELETE": "MATCH (m:Module) DETACH DELETE m",
    "REMOVE": "MATCH (m:Module) REMOVE m.path",
    "DROP": "DROP TABLE Module",
    "ALTER": "ALTER TABLE Module ADD extra STRING",
    "CALL a setting": "CALL threads=1",
    "CALL a plugin": "CALL apoc.export.csv.all('{out}/all.csv', {{}})",
    "a plugin function": "RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) DETACH DELETE n', {{}})",
    "chained after a read": "MATCH (m:Module) RETURN count(m); CHECKPOINT",
    "after a comment with a quote": "MATCH (m:Module) // don't\nCHECKPOINT",
    "in a subquery": "MATCH (m:Module) CALL {{ WITH m SET m.path = 'x' }} RETURN 1",
    "in transactions": "CALL {{ MATCH (m:Module) RETURN m }} IN TRANSACTIONS RETURN 1",
    "a transaction": "BEGIN TRANSACTION",
    "switching database": "USE system SHOW USERS",
}
ALLOWED = [
    "MATCH (m:Module {snapshot: $snapshot}) RETURN m.path ORDER BY m.path",
    "MATCH (m:Module) WHERE m.path CONTAINS 'DELETE; CHECKPOINT' RETURN count(m)",
    "MATCH (m:Module) RETURN m.path AS `set` // CREATE in a comment is fine\n",
    "MATCH (m:Module) /* LOAD FROM x */ RETURN count(m) AS copy_count",
    "CALL show_tables() RETURN *",
    "MATCH (m:Module) CALL { WITH m RETURN m.path AS p } RETURN count(p)",
    "MATCH (a:Module)-[:IMPORTS]->(b:Module) WITH a, count(b) AS n RETURN a.path, n",
]


@pytest.mark.parametrize("label", list(FORBIDDEN))
def test_each_forbidden_statement_is_refused_with_what_it_does(label, tmp_path):
    with pytest.raises(StoreError, match=r"--cypher runs reading statements only: .* (refused|is refused)"):
        check_read_only(FORBIDDEN[label].format(out=tmp_path))


@pytest.mark.parametrize("cypher", ALLOWED)
def test_reading_statements_pass(cypher):
    check_read_only(cypher)


@pytest.mark.slow
def test_the_command_refuses_them_and_the_store_stays_usable(tmp_path):
    repo = write_repo(tmp_path / "repo", {"a.py": "import b\n", "b.py": "x = 1\n"})
    store = tmp_path / "store"
    out = tmp_path / "out"
    out.mkdir()
    scan(ScanOptions(repo=repo, store=str(store), use_cache=False, jobs=1))
    before = sorted(p.name for p in (store / "repo").iterdir())
    for label in ("CHECKPOINT", "COPY TO", "EXPORT DATABASE", "LOAD FROM", "LOAD EXTENSION", "INSTALL", "ATTACH",
                  "chained after a read"):
        result = cli("query", "--cypher", FORBIDDEN[label].format(out=out), "--store", str(store))
        assert result.returncode == 2, (label, result.stdout)
        assert result.stderr.startswith("error: --cypher runs reading statements only"), (label, result.stderr)
    assert list(out.iterdir()) == []  # no file written anywhere
    assert sorted(p.name for p in (store / "repo").iterdir()) == before
    reader = LadybugStore(store, read_only=True)
    try:
        assert reader.query("MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)").rows == [[2]]
    finally:
        reader.close()
    again = scan(ScanOptions(repo=repo, store=str(store), use_cache=False, jobs=1))
    assert again.unchanged
    result = cli("query", "--cypher", ALLOWED[0], "--store", str(store), "--format", "json")
    assert result.returncode == 0 and '"a.py"' in result.stdout
