"""Output formats of `analyzer check`: text, json, github (workflow commands), junit; sarif in sarif.py."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from analyzer.check.reported import Reported
from analyzer.check.run import CheckResult

# GitHub shows three annotation levels.
GITHUB_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "warning", "info": "notice"}


def _where(item: Reported) -> str:
    if not item.path:
        return "(outside the diff)" if item.attributed else "(whole repository)"
    return f"{item.path}:{item.line}" if item.line else item.path


def compared_with(result: CheckResult) -> str:
    """Which baseline (and base) the new findings were told apart with, for the summary."""
    parts = [f"baseline {_shown_path(result.baseline)}" if result.baseline else
             "no baseline (`analyzer baseline` writes one)"]
    if result.base:
        parts.append(f"base {result.base[:12]}")
    return ", ".join(parts)


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def render_text(result: CheckResult) -> str:
    lines = [f"{_where(i)}: {i.finding.severity} [{i.finding.check}] {i.message}" for i in result.findings]
    failing = len(result.failing)
    lines.append(
        f"{len(result.findings)} new finding(s), {failing} at or above {result.fail_on}; "
        f"{result.known} known ({compared_with(result)}), {result.suppressed} suppressed inline, "
        f"{result.ignored} ignored by path; {len(result.checks)} checks"
    )
    return "\n".join(lines) + "\n"


def finding_dict(item: Reported) -> dict:
    finding = item.finding
    return {
        "check": finding.check, "severity": finding.severity, "title": finding.title, "path": item.path,
        "line": item.line, "message": item.message, "fingerprint": item.fingerprint, "group": item.group,
        "attributed": item.attributed, "origin": {"path": finding.path, "line": finding.line}, "row": finding.row,
    }


def render_json(result: CheckResult) -> str:
    document = {
        "repository": result.repository, "fail_on": result.fail_on, "exit_code": result.exit_code,
        "baseline": str(result.baseline) if result.baseline else None, "base": result.base,
        "checks": [q.id for q in result.checks], "findings": [finding_dict(i) for i in result.findings],
        "counts": {"reported": len(result.findings), "failing": len(result.failing), "known": result.known,
                   "suppressed": result.suppressed, "ignored": result.ignored},
    }
    return json.dumps(document, indent=2, default=str) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: CheckResult) -> str:
    """One workflow command per finding, `::error file=a.py,line=3,title=bare-except (medium)::sentence`;
    a finding with no changed line to show it on gets no file (GitHub lists it with the run)."""
    lines = []
    for item in result.findings:
        properties = []
        if item.path:
            properties.append(f"file={_escape_property(item.path)}")
            if item.line:
                properties.append(f"line={item.line}")
        properties.append(f"title={_escape_property(f'{item.finding.check} ({item.finding.severity})')}")
        lines.append(f"::{GITHUB_LEVEL[item.finding.severity]} {','.join(properties)}::{_escape_data(item.message)}")
    return "".join(line + "\n" for line in lines)


def render_junit(result: CheckResult) -> str:
    """One test case per check that found nothing, one failing test case per finding."""
    suite = ElementTree.Element("testsuite", name="analyzer check", tests="0", failures=str(len(result.findings)))
    with_findings = {item.finding.check for item in result.findings}
    cases = 0
    for query in result.checks:
        if query.id not in with_findings:
            ElementTree.SubElement(suite, "testcase", classname=query.id, name=query.title)
            cases += 1
    for item in result.findings:
        case = ElementTree.SubElement(suite, "testcase", classname=item.finding.check, name=_where(item))
        failure = ElementTree.SubElement(case, "failure", message=item.message, type=item.finding.severity)
        failure.text = f"{_where(item)}: {item.message}\nfingerprint: {item.fingerprint}"
        cases += 1
    suite.set("tests", str(cases))
    root = ElementTree.Element("testsuites")
    root.append(suite)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
