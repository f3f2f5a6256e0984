"""Output formats of `analyzer check`: text, json, github (workflow commands), junit; sarif in sarif.py."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from analyzer.check.run import CheckResult, Reported

# GitHub shows three annotation levels.
GITHUB_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "warning", "info": "notice"}


def _where(item: Reported) -> str:
    if not item.path:
        return "(whole repository)"
    return f"{item.path}:{item.line}" if item.line else item.path


def render_text(result: CheckResult) -> str:
    lines = [f"{_where(i)}: {i.finding.severity} [{i.finding.check}] {i.finding.message}" for i in result.findings]
    failing = len(result.failing)
    lines.append(
        f"{len(result.findings)} finding(s), {failing} at or above {result.fail_on}; "
        f"{result.known} known (baseline/base), {result.suppressed} suppressed inline, {result.ignored} ignored by path; "
        f"{len(result.checks)} checks"
    )
    return "\n".join(lines) + "\n"


def finding_dict(item: Reported) -> dict:
    finding = item.finding
    return {
        "check": finding.check, "severity": finding.severity, "title": finding.title, "path": item.path,
        "line": item.line, "message": finding.message, "fingerprint": item.fingerprint,
        "attributed": item.attributed, "row": finding.row,
    }


def render_json(result: CheckResult) -> str:
    document = {
        "repository": result.repository, "fail_on": result.fail_on, "exit_code": result.exit_code,
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
    """One workflow command per finding: `::error file=a.py,line=3,title=bare-except::message`."""
    lines = []
    for item in result.findings:
        properties = []
        if item.path:
            properties.append(f"file={_escape_property(item.path)}")
            if item.line:
                properties.append(f"line={item.line}")
        properties.append(f"title={_escape_property(item.finding.check)}")
        message = f"{item.finding.message} ({item.finding.severity})"
        lines.append(f"::{GITHUB_LEVEL[item.finding.severity]} {','.join(properties)}::{_escape_data(message)}")
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
        failure = ElementTree.SubElement(case, "failure", message=item.finding.message, type=item.finding.severity)
        failure.text = f"{_where(item)}: {item.finding.message}\nfingerprint: {item.fingerprint}"
        cases += 1
    suite.set("tests", str(cases))
    root = ElementTree.Element("testsuites")
    root.append(suite)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
