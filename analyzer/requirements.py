"""Declared dependencies: requirements / constraints files and pyproject.toml dependency lists, per machine root.

    found = find_requirements(repo, scan_config)    # before the fingerprint: found.digest covers every such file
    add_requirements(graph, found)                  # after build_snapshot

Every line is read with `packaging` (PEP 508 requirements, PEP 503 names), the
way pip reads it: `\\` continuations, `#` comments, `-r`/`-c` includes (followed
inside the repository), options (`--index-url`, ...) skipped, `--hash` dropped,
`-e` and URL lines kept with the URL as their specifier. A full-line comment
that parses as a requirement with a version or URL (`# torch==2.0.0`) is kept
as a commented requirement; a line nothing can read is kept with its `error`,
so a malformed file is a finding (`requirements-malformed`), never a crash.
Queries requirements-drift, -duplicates, -commented and -malformed read the rows.
See docs/requirements.md.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, canonicalize_name
from packaging.utils import parse_sdist_filename, parse_wheel_filename

from analyzer.config import ScanConfig
from analyzer.discover import inside, list_files, machine_of
from analyzer.graph import GraphSnapshot
from analyzer.redact import redact_text

REQUIREMENTS, CONSTRAINTS, PYPROJECT = "requirements", "constraints", "pyproject"
MAX_RAW = 300  # characters of a line kept in the graph (hash lists make long lines)

INCLUDE_RE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s*)(\S+)$")
EDITABLE_RE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+)(\S+)$")
# Options pip accepts on a line of their own; none of them declares a package.
FILE_OPTIONS = frozenset({
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--trusted-host", "--pre",
    "--prefer-binary", "--require-hashes", "--no-binary", "--only-binary", "--use-feature", "--only-deps",
})
PER_REQUIREMENT_OPTION_RE = re.compile(r"\s+--(?:hash|global-option|install-option|config-settings)(?:=|\s+)\S+")
INLINE_COMMENT_RE = re.compile(r"(^|\s)#.*$")
EGG_RE = re.compile(r"#(?:.*&)?egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
TOML_ERROR_LINE_RE = re.compile(r"at line (\d+)")
TABLE_HEADER_RE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
POETRY_LINE_RE = re.compile(r"""^["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=\s*["']([^"']+)["']""")
POETRY_GROUP_RE = re.compile(r"^tool\.poetry\.group\.([^.]+)\.dependencies$")
PEP508_TABLES = ("project", "project.optional-dependencies", "dependency-groups")
# Errors are fixed phrases, not the parsers' messages, so a finding's identity survives a packaging upgrade.
NOT_A_REQUIREMENT, INVALID_TOML = "not a PEP 508 requirement, URL, path or pip option", "invalid TOML"


@dataclass(frozen=True, slots=True)
class DeclaredRequirement:
    """One requirement line (or pyproject entry). `name` is PEP 503-normalised; `error` set: nothing could read it."""

    path: str
    machine: str
    line: int
    name: str = ""
    specifier: str = ""  # sorted version specifiers (`<2,>=1.24`), `@ <url>` for URL / editable requirements
    extras: str = ""  # comma-separated, sorted
    marker: str = ""
    dependency_group: str = ""  # pyproject optional-dependencies / dependency group; "" for the main list and .txt files
    commented: bool = False
    editable: bool = False
    raw: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Include:
    line: int
    target: str  # repository-relative path of the included file
    constraint: bool


@dataclass
class RequirementsFile:
    path: str
    machine: str
    kind: str  # requirements | constraints | pyproject
    requirements: list[DeclaredRequirement] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)


@dataclass
class RequirementsScan:
    files: list[RequirementsFile]
    digest: str  # every candidate file's path and bytes, for the snapshot fingerprint


# ---------------------------------------------------------------------------- one requirement


def _specifier_text(specifier: SpecifierSet) -> str:
    return ",".join(sorted(str(s) for s in specifier))


def _from_requirement(requirement: Requirement, **where: Any) -> DeclaredRequirement:
    return DeclaredRequirement(
        name=canonicalize_name(requirement.name),
        specifier=f"@ {requirement.url}" if requirement.url else _specifier_text(requirement.specifier),
        extras=",".join(sorted(requirement.extras)),
        marker=str(requirement.marker) if requirement.marker else "",
        **where,
    )


def _looks_like_location(text: str) -> bool:
    return "://" in text or text.startswith((".", "/", "~")) or text.endswith((".whl", ".tar.gz", ".zip"))


def _location_name(location: str) -> str:
    """The package a URL or path names: its `#egg=`, its wheel or sdist file name, else the location itself."""
    egg = EGG_RE.search(location)
    if egg:
        return canonicalize_name(egg.group(1))
    file_name = location.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        return str(parse_wheel_filename(file_name)[0])
    except InvalidWheelFilename:
        pass  # not a wheel: maybe an sdist
    try:
        return str(parse_sdist_filename(file_name)[0])
    except InvalidSdistFilename:
        return location  # a folder or VCS URL without #egg=: the location is the only name it has


def parse_requirement(text: str, path: str, machine: str, line: int, raw: str, group: str = "") -> DeclaredRequirement:
    """A requirement specification (options and comments already removed), or a row carrying its error."""
    where: dict[str, Any] = {"path": path, "machine": machine, "line": line, "raw": raw[:MAX_RAW], "dependency_group": group}
    try:
        return _from_requirement(Requirement(text), **where)
    except InvalidRequirement:
        if _looks_like_location(text):
            return DeclaredRequirement(name=_location_name(text), specifier=f"@ {text}", **where)
        return DeclaredRequirement(error=NOT_A_REQUIREMENT, **where)


def commented_requirement(body: str) -> Requirement | None:
    """What a comment's text declares, when it is a requirement with a version or URL (`torch==2.0.0`):
    prose (`# GPU packages`) and pip-compile's `# via pandas` name no version and are not requirements."""
    text = PER_REQUIREMENT_OPTION_RE.sub("", INLINE_COMMENT_RE.sub("", body)).strip().strip(",").strip("\"'")
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    return requirement if requirement.specifier or requirement.url else None


# ---------------------------------------------------------------------------- requirements.txt


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first physical line, text) with `\\` continuations joined, as pip joins them; credentials masked."""
    start, parts = 0, []
    for number, physical in enumerate(text.splitlines(), start=1):
        start = start or number
        if physical.endswith("\\") and not physical.lstrip().startswith("#"):
            parts.append(physical[:-1])
            continue
        parts.append(physical)
        yield start, redact_text("".join(parts))
        start, parts = 0, []
    if parts:
        yield start, redact_text("".join(parts))


def parse_requirements_text(text: str, path: str, machine: str, kind: str = REQUIREMENTS) -> RequirementsFile:
    parsed = RequirementsFile(path, machine, kind)
    folder = PurePosixPath(path).parent
    for line, logical in logical_lines(text):
        stripped = logical.strip()
        if stripped.startswith("#"):
            requirement = commented_requirement(stripped.lstrip("#"))
            if requirement is not None:
                parsed.requirements.append(_from_requirement(
                    requirement, path=path, machine=machine, line=line, raw=stripped[:MAX_RAW], commented=True))
            continue
        content = INLINE_COMMENT_RE.sub("", stripped).strip()
        if content:
            _read_line(parsed, folder, line, content, stripped)
    return parsed


def _read_line(parsed: RequirementsFile, folder: PurePosixPath, line: int, content: str, raw: str) -> None:
    include = INCLUDE_RE.match(content)
    if include:
        if "://" not in include.group(2):  # a remote include is outside the repository: nothing to read
            target = _normal_path(folder / include.group(2))
            parsed.includes.append(Include(line, target, include.group(1) in ("-c", "--constraint")))
        return
    editable = EDITABLE_RE.match(content)
    if editable:
        location = editable.group(1)
        parsed.requirements.append(DeclaredRequirement(
            parsed.path, parsed.machine, line, _location_name(location), f"@ {location}", editable=True, raw=raw[:MAX_RAW]))
        return
    if content.startswith("-"):
        option = re.split(r"[\s=]", content, maxsplit=1)[0]
        if option not in FILE_OPTIONS:
            parsed.requirements.append(DeclaredRequirement(
                parsed.path, parsed.machine, line, raw=raw[:MAX_RAW], error=f"unknown option {option}"))
        return
    text = PER_REQUIREMENT_OPTION_RE.sub("", content).strip()
    parsed.requirements.append(parse_requirement(text, parsed.path, parsed.machine, line, raw))


def _normal_path(path: PurePosixPath) -> str:
    if path.is_absolute():
        return str(path)  # outside the repository: reported, never read
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
            else:
                parts.append(part)  # above the repository root: never found, reported as missing
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


# ---------------------------------------------------------------------------- pyproject.toml


def _table(data: dict, dotted: str) -> Any:
    node: Any = data
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _pyproject_entries(data: dict) -> Iterator[tuple[str, str, str, Any]]:
    """(group, table header to find lines under, name or "" for a PEP 508 string, value)."""
    for value in _table(data, "project.dependencies") or []:
        yield "", "project", "", value
    for group, values in (_table(data, "project.optional-dependencies") or {}).items():
        yield from ((group, "project.optional-dependencies", "", v) for v in values or [])
    for group, values in (data.get("dependency-groups") or {}).items():
        yield from ((group, "dependency-groups", "", v) for v in values or [] if isinstance(v, str))
    poetry = _table(data, "tool.poetry") or {}
    tables = [("", "tool.poetry.dependencies", poetry.get("dependencies")),
              ("dev", "tool.poetry.dev-dependencies", poetry.get("dev-dependencies"))]
    tables += [(g, f"tool.poetry.group.{g}.dependencies", (t or {}).get("dependencies"))
               for g, t in (poetry.get("group") or {}).items()]
    for group, header, table in tables:
        for name, value in (table or {}).items():
            if name.lower() != "python":  # the interpreter, not a package
                yield group, header, name, value


def poetry_specifier(value: Any) -> tuple[str, str, str]:
    """(specifier, extras, marker) of a Poetry dependency value: `"2.0.0"` means `==2.0.0`; `^1.2` stays as written."""
    if isinstance(value, list):  # multiple constraints: the first stands for them
        value = value[0] if value else ""
    if isinstance(value, dict):
        extras = ",".join(sorted(str(e) for e in value.get("extras") or []))
        marker = str(value.get("markers") or "")
        for key in ("git", "url", "path"):
            if key in value:
                reference = next((f"@{value[k]}" for k in ("rev", "tag", "branch") if k in value), "")
                prefix = "git+" if key == "git" else ""
                return f"@ {prefix}{value[key]}{reference}", extras, marker
        return poetry_specifier(str(value.get("version") or ""))[0], extras, marker
    text = str(value).strip()
    if text in ("", "*"):
        return "", "", ""
    if text[0].isdigit():
        text = f"=={text}"
    try:
        return _specifier_text(SpecifierSet(text)), "", ""
    except InvalidSpecifier:
        return text, "", ""  # Poetry's own operators (^, ~, ||) have no PEP 440 spelling


class _LineFinder:
    """Lines of pyproject entries (tomllib keeps none): the first unclaimed line under the table's header holding it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, int] = {}
        for number, line in enumerate(self.lines):
            header = TABLE_HEADER_RE.match(line)
            if header:
                self.headers.setdefault(header.group(1).replace(" ", ""), number)
        self.claimed: set[int] = set()

    def find(self, header: str, needles: tuple[str, ...] | re.Pattern) -> int:
        start = self.headers.get(header, 0)
        for number in range(start, len(self.lines)):
            line = self.lines[number].split("#", 1)[0] if not self.lines[number].lstrip().startswith("#") else ""
            found = needles.search(line) if isinstance(needles, re.Pattern) else any(n in line for n in needles)
            if found and number not in self.claimed:
                self.claimed.add(number)
                return number + 1
        return start + 1


def parse_pyproject_text(text: str, path: str, machine: str) -> RequirementsFile | None:
    """The dependency lists of a pyproject.toml, or None when it declares none (a tool-settings file)."""
    parsed = RequirementsFile(path, machine, PYPROJECT)
    text = redact_text(text)  # URL credentials in dependency strings; masking keeps the TOML valid
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        error_line = TOML_ERROR_LINE_RE.search(str(error))
        parsed.requirements.append(DeclaredRequirement(path, machine, int(error_line.group(1)) if error_line else 0,
                                                       error=INVALID_TOML))
        return parsed
    finder = _LineFinder(text)
    for group, header, name, value in _pyproject_entries(data):
        if name:
            line = finder.find(header, re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*="))
            specifier, extras, marker = poetry_specifier(value)
            parsed.requirements.append(DeclaredRequirement(
                path, machine, line, canonicalize_name(name), specifier, extras, marker, group,
                raw=finder.lines[line - 1].strip()[:MAX_RAW] if finder.lines else ""))
        elif isinstance(value, str):
            line = finder.find(header, (f'"{value}"', f"'{value}'"))
            parsed.requirements.append(parse_requirement(value, path, machine, line, value, group))
    parsed.requirements.extend(_pyproject_comments(finder.lines, path, machine))
    parsed.requirements.sort(key=lambda r: (r.line, r.commented))
    return parsed if parsed.requirements else None


def _dependency_table(header: str) -> tuple[str, str]:
    """(how the table lists dependencies: pep508, poetry or "" for not at all, the group its entries belong to)."""
    poetry_group = POETRY_GROUP_RE.match(header)
    if poetry_group:
        return "poetry", poetry_group.group(1)
    if header == "tool.poetry.dependencies":
        return "poetry", ""
    if header == "tool.poetry.dev-dependencies":
        return "poetry", "dev"
    return ("pep508" if header in PEP508_TABLES else ""), ""


def _pyproject_comments(lines: list[str], path: str, machine: str) -> Iterator[DeclaredRequirement]:
    """Commented-out entries inside dependency tables: `# "torch==2.0.0",` and Poetry's `# torch = "2.0.0"`."""
    style, group = "", ""
    for number, line in enumerate(lines, start=1):
        header = TABLE_HEADER_RE.match(line)
        if header:
            style, group = _dependency_table(header.group(1).replace(" ", ""))
            continue
        stripped = line.strip()
        if not style or not stripped.startswith("#"):
            continue
        body = stripped.lstrip("#").strip()
        poetry = POETRY_LINE_RE.match(body) if style == "poetry" else None
        if poetry:
            specifier, _, _ = poetry_specifier(poetry.group(2))
            if specifier:
                yield DeclaredRequirement(path, machine, number, canonicalize_name(poetry.group(1)), specifier,
                                          dependency_group=group, commented=True, raw=stripped[:MAX_RAW])
            continue
        requirement = commented_requirement(body)
        if requirement is not None:
            yield _from_requirement(requirement, path=path, machine=machine, line=number, raw=stripped[:MAX_RAW],
                                    dependency_group=group, commented=True)


# ---------------------------------------------------------------------------- the repository


def requirements_kind(path: str) -> str | None:
    """requirements | constraints | pyproject for a file that declares dependencies by its name, else None."""
    parts = path.lower().split("/")
    name = parts[-1]
    if name == "pyproject.toml":
        return PYPROJECT
    if not name.endswith(".txt"):
        return None
    if "constraint" in name:
        return CONSTRAINTS
    if "requirement" in name or "requirements" in parts[:-1]:
        return REQUIREMENTS
    return None


def _read_file(location: Path, path: str, machine: str, kind: str) -> tuple[bytes | None, RequirementsFile | None]:
    try:
        data = location.read_bytes()
    except OSError:
        return None, None  # vanished since listing, or an include naming no file: the includer reports it
    text = data.decode("utf-8", "replace")
    if kind == PYPROJECT:
        return data, parse_pyproject_text(text, path, machine)
    return data, parse_requirements_text(text, path, machine, kind)


def find_requirements(repo: Path, config: ScanConfig) -> RequirementsScan:
    """Every requirements / constraints / pyproject file under the scan's roots, and the files they include."""
    pending = [(s.path, s.machine, kind, s.location(repo)) for s in list_files(repo, config, suffixes=(".txt", ".toml"))
               if (kind := requirements_kind(s.path))]
    seen = {path for path, _, _, _ in pending}
    files: list[RequirementsFile] = []
    digest = hashlib.sha256()
    while pending:
        path, machine, kind, location = pending.pop(0)
        data, parsed = _read_file(location, path, machine, kind)
        if data is None:
            continue
        digest.update(f"{path}\0{hashlib.sha256(data).hexdigest()}\n".encode())
        if parsed is None:
            continue
        files.append(parsed)
        for include in parsed.includes:
            problem = ("is outside the repository" if not inside(repo, include.target) else
                       "does not exist" if not (repo / include.target).is_file() else "")
            if problem:
                parsed.requirements.append(DeclaredRequirement(
                    path, machine, include.line, raw=f"{'-c' if include.constraint else '-r'} {include.target}",
                    error=f"includes {include.target}, which {problem}"))
            elif include.target not in seen:
                seen.add(include.target)
                pending.append((include.target, machine_of(include.target, config.roots, config.copies),
                                CONSTRAINTS if include.constraint else requirements_kind(include.target) or REQUIREMENTS,
                                repo / include.target))
    files.sort(key=lambda f: f.path)
    return RequirementsScan(files, digest.hexdigest())


def add_requirements(graph: GraphSnapshot, found: RequirementsScan) -> None:
    snapshot, nodes, rels = graph.snapshot, graph.nodes, graph.rels
    file_ids = {f.path: f"{snapshot}|requirements:{f.path}" for f in found.files}
    for file in found.files:
        nodes["RequirementsFile"].add(
            id=file_ids[file.path], snapshot=snapshot, path=file.path, machine=file.machine, kind=file.kind,
            requirements=sum(1 for r in file.requirements if not r.commented and not r.error),
        )
        for n, requirement in enumerate(file.requirements):
            requirement_id = f"{file_ids[file.path]}#{n}"
            nodes["Requirement"].add(id=requirement_id, snapshot=snapshot, kind=file.kind, **_columns(requirement))
            rels["DECLARES_REQUIREMENT"].add(**{"from": file_ids[file.path], "to": requirement_id})
        for include in file.includes:
            if include.target in file_ids:
                rels["INCLUDES_REQUIREMENTS"].add(**{"from": file_ids[file.path], "to": file_ids[include.target]},
                                                  line=include.line, constraint=include.constraint)


def _columns(requirement: DeclaredRequirement) -> dict[str, Any]:
    return {name: getattr(requirement, name) for name in DeclaredRequirement.__slots__}
