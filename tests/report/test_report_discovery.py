"""analyzer report: every finding figure equals what `analyzer query <id>` returns on the same store."""

from __future__ import annotations

import json
from collections import Counter

from typer.testing import CliRunner

import queries
from analyzer.cli import app
from analyzer.report.discovery import SEVERITY_WEIGHT, build_report, to_markdown
from analyzer.findings import run_query
from analyzer.store import open_store


def _report(store_path):
    store = open_store(str(store_path), read_only=True)
    try:
        return build_report(store)
    finally:
        store.close()


def _query_rows(store_path, query_id):
    result = CliRunner().invoke(app, ["query", query_id, "--store", str(store_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_report_counts_equal_query_rows(scanned_fixture):
    store_path = scanned_fixture[0]
    report = _report(store_path)
    detections = [q for q in queries.load_all() if q.kind == "detection"]
    store = open_store(str(store_path), read_only=True)
    try:  # the store call `analyzer query` makes; the CLI itself is checked on two queries below
        counts = {q.id: len(run_query(store, q)) for q in detections}
    finally:
        store.close()
    assert counts["god-objects"] == len(_query_rows(store_path, "god-objects"))
    assert report.findings_by_check == {check: n for check, n in sorted(counts.items()) if n}
    assert report.headline["findings"] == sum(counts.values())
    by_severity = Counter()
    for query in detections:
        by_severity[query.severity] += counts[query.id]
    assert report.by_severity == {s: n for s, n in by_severity.items() if n}
    assert sum(sum(m.values()) for m in report.by_severity_machine.values()) == sum(counts.values())
    collisions = _query_rows(store_path, "port-collisions")
    assert report.sections["Port collisions"][1] == collisions and len(collisions) == 2


def test_markdown_sections_and_priorities(scanned_fixture):
    report = _report(scanned_fixture[0])
    text = to_markdown(report)
    for heading in ("## Headline figures", "## Findings by severity and machine", "## What to fix first",
                    "## Port collisions (2)", "## Import cycles", "## Requirements drift", "## Modules using CUDA"):
        assert heading in text
    assert f"| findings | {report.headline['findings']} |" in text
    assert "| god-objects | structure | 1 |" in text
    scores = [p.score for p in report.priorities]
    assert scores == sorted(scores, reverse=True)
    for priority in report.priorities:
        assert priority.score == SEVERITY_WEIGHT[priority.severity] * priority.count * (1 + priority.fan_in)
    fixes = {p.check: p.fix_command for p in report.priorities}
    # A fix is suggested only where the rule's header names a codemod that fixes it (bare-except does not
    # fix swallowing handlers that already name a type).
    assert fixes["swallowed-exceptions"] == ""
    assert all(command == (f"analyzer fix {queries.get(check).fixed_by} ." if queries.get(check).fixed_by else "")
               for check, command in fixes.items())
    cuda = {m["path"]: m["cuda_releases"] for m in report.gpu_modules}
    assert cuda["main_pc_code/agents/model_manager_agent.py"] and not cuda["main_pc_code/agents/stt_agent.py"]


def test_report_cli_writes_html(scanned_fixture, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--store", str(scanned_fixture[0]), "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<h2>ZeroMQ topology</h2>" in page and "Findings per category" in page and "<script src=" not in page
