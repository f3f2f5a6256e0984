"""Findings from detection queries: location, identity and message come from the query's header."""

from __future__ import annotations

from analyzer.findings import collect_findings
from analyzer.store import open_store


def test_god_object_finding_on_the_fixture(scanned_fixture):
    store = open_store(str(scanned_fixture[0]))
    try:
        found = [f for f in collect_findings(store, selected={"god-objects"})]
    finally:
        store.close()
    assert [(f.check, f.severity, f.path, f.line, f.identity) for f in found] == [
        ("god-objects", "medium", "main_pc_code/agents/model_manager_agent.py", 19,
         ("main_pc_code/agents/model_manager_agent.py", "ModelManagerAgent")),
    ]
    assert found[0].message == "Class ModelManagerAgent has 65 methods"
