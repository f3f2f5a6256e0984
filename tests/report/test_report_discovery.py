"""analyzer report: figures equal query rows, risks ranked before debt from the rule headers, no table cut silently."""

from __future__ import annotations

import json
import re
from collections import Counter

from typer.testing import CliRunner

from analyzer import queries
from analyzer.cli import app
from analyzer.findings import SEVERITY_RANK, Finding, run_query
from analyzer.report.discovery import build_report, to_markdown, touches_copies
from analyzer.report.reads import MODULES, read
from analyzer.store import open_store

# What the report must rank before any debt count, where the library has the check (some are being written).
RISKS = ("syntax-errors", "port-collisions")
DEBT_CATEGORIES = ("exceptions", "debt")  # broad, bare and swallowing handlers; to-do comments
NOTE = re.compile(r"^_(\d+) of (\d+) (\w+); `(analyzer [^`]+)` lists them all\._$", re.MULTILINE)


def _report(store_path, options=""):
    store = open_store(str(store_path), read_only=True)
    try:
        return build_report(store, options=options)
    finally:
        store.close()


def _copies(store_path):
    store = open_store(str(store_path), read_only=True)
    try:
        return {m["path"] for m in read(store, MODULES) if m["is_copy"]}
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
    copies = _copies(store_path)
    assert [f.row for f in report.findings["port-collisions"]] == sorted(
        collisions, key=lambda row: row["path"] in copies or row["other_path"] in copies)


def test_risks_come_before_debt_ranked_by_rule_headers(scanned_fixture):
    report = _report(scanned_fixture[0])
    ranked = [p.check for p in report.ranked]
    assert set(ranked) == set(report.findings_by_check)
    risks = [p.check for p in report.ranked if p.check in RISKS and p.count]  # live ones: risks to running agents
    debt = [check for check in ranked if queries.get(check).category in DEBT_CATEGORIES]
    assert "port-collisions" in risks and {"broad-except", "todos-without-ticket"} <= set(debt)
    for risk in risks:
        assert ranked.index(risk) < min(ranked.index(check) for check in debt), (risk, ranked)
    # The whole order follows the headers: severity, then the category's place in CATEGORIES, then precision;
    # a count of findings never lifts a check above a more severe one.
    order = list(queries.CATEGORIES)
    live = [p for p in report.ranked if p.count]
    keys = [(-SEVERITY_RANK[p.severity], order.index(p.category), -queries.PRECISIONS.index(p.precision))
            for p in live]
    assert keys == sorted(keys)
    assert all(not p.count for p in report.ranked[len(live):])
    # Findings a copy is part of are counted apart (a live agent's row naming a copy as its other binder too).
    copies = _copies(scanned_fixture[0])
    collisions = next(p for p in report.ranked if p.check == "port-collisions")
    rows = report.findings["port-collisions"]
    with_copy = [f for f in rows if f.path in copies or f.row["other_path"] in copies]
    assert (collisions.in_copies, collisions.count) == (len(with_copy), len(rows) - len(with_copy))
    text = to_markdown(report)
    table = text[text.index("## What to fix first"):text.index("## 1. ")]
    for risk in risks:
        assert table.index(f"| {risk} |") < min(table.index(f"| {check} |") for check in debt if f"| {check} |" in table)
        assert text.index(f"({risk}, ") < text.index("## Findings by category and machine")


def test_a_finding_touches_copies_at_its_place_or_in_its_row():
    copies = {"agents/x_backup.py", "_trash_2025-06-13/y.py"}

    def finding(path, **row):
        return Finding("port-collisions", "high", "t", path, 1, (), "m", {"path": path, **row})

    assert touches_copies(finding("agents/x_backup.py", other_path="agents/x.py"), copies)
    assert touches_copies(finding("agents/x.py", other_path="agents/x_backup.py"), copies)
    assert touches_copies(finding(None, members=["agents/x.py", "_trash_2025-06-13/y.py"]), copies)
    assert not touches_copies(finding("agents/x.py", other_path="agents/y.py", port=5556), copies)


def test_markdown_sections_and_fix_suggestions(scanned_fixture):
    report = _report(scanned_fixture[0])
    text = to_markdown(report)
    for heading in ("## Headline figures", "## What to fix first", "## Findings by severity and machine",
                    "## Findings per check", "## GPU agents"):
        assert heading in text
    assert f"| findings | {report.headline['findings']} |" in text
    assert "| god-objects | structure | medium | 1 |" in text
    for rank, priority in enumerate(report.priorities, 1):
        assert f"## {rank}. {priority.title} ({priority.check}, " in text
    # A fix is suggested only where the rule's header names a codemod that fixes it (bare-except does not
    # fix swallowing handlers that already name a type).
    fixes = {p.check: p.fix_command for p in report.ranked}
    assert fixes["swallowed-exceptions"] == "" and fixes["bare-except"] == "analyzer fix bare-except ."
    assert all(command == (f"analyzer fix {queries.get(check).fixed_by} ." if queries.get(check).fixed_by else "")
               for check, command in fixes.items())
    columns, rows = report.sections["GPU agents"]
    cuda = {row["path"]: row["empty_cache"] for row in rows}
    assert cuda["main_pc_code/agents/model_manager_agent.py"] and not cuda["main_pc_code/agents/stt_agent.py"]
    assert f"## GPU agents ({len(rows)})" in text and "| main_pc_code/agents/stt_agent.py |" in text


def _sections(text: str) -> dict[str, tuple[int, str]]:
    """Heading -> (table rows, section text) of a Markdown report."""
    found = {}
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, body = section.split("\n", 1)
        rows = sum(1 for line in body.splitlines() if line.startswith("| ") and not line.startswith("| ---"))
        found[heading] = (max(rows - 1, 0), body)
    return found


def test_no_table_is_cut_without_saying_so_and_how_to_list_the_rest(scanned_fixture):
    store = str(scanned_fixture[0])
    report = _report(scanned_fixture[0], options=f" --store {store}")
    whole, cut = _sections(to_markdown(report, rows=10_000)), _sections(to_markdown(report, rows=2))
    assert list(whole) == list(cut)
    checked = 0
    for heading, (shown, body) in cut.items():
        note = NOTE.search(body)
        whole_note = NOTE.search(whole[heading][1])  # hotspots stay cut at five files
        total = int(whole_note.group(2)) if whole_note else whole[heading][0]
        if shown == total:
            assert note is None, heading
            continue
        assert note and (int(note.group(1)), int(note.group(2))) == (shown, total), heading
        words = note.group(4).split()[1:]
        result = CliRunner().invoke(app, [*words[:-2], "--format", "json", *words[-2:]])
        assert result.exit_code in (0, 1), (heading, result.output)  # check exits 1 on findings
        if words[0] == "query":
            listed = len(json.loads(result.stdout))
        else:  # a check command: the files (hotspots) or checks (what to fix first) of its findings
            findings = json.loads(result.stdout)["findings"]
            listed = len({f["path" if note.group(3) == "files" else "check"] for f in findings})
        assert listed == total, (heading, listed)
        checked += 1
    conflicts = next(body for heading, (_, body) in cut.items() if "(config-port-conflict, 3)" in heading)
    assert f"_2 of 3 rows; `analyzer query config-port-conflict --store {store}` lists them all._" in conflicts
    assert checked >= 5


def test_report_cli_writes_html(scanned_fixture, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--store", str(scanned_fixture[0]), "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<h2>ZeroMQ topology</h2>" in page and "Findings per category" in page and "<script src=" not in page
    assert page.index("(port-collisions, ") < page.index("<h2>ZeroMQ topology</h2>") < page.index("Findings per category")
