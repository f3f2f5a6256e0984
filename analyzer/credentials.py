"""Credentials written into config files: YAML, JSON, .env and INI values under keys like
password, secret, token or api_key that hold a literal, not a placeholder.

Only where (file, line) and under which key (`database.replica.password`) are kept:
a value never leaves this module. Rule `credentials-in-config` reads the
`ConfigCredential` rows. YAML and JSON go through pyyaml's composer so every value
keeps its line; .env and INI files are read line by line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from analyzer.config import ScanConfig
from analyzer.discover import list_files
from analyzer.extract.secrets import is_placeholder, is_secret_key
from analyzer.graph import GraphSnapshot

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".env", ".ini", ".cfg")
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "env", ".ini": "ini", ".cfg": "ini"}
MAX_CONFIG_BYTES = 512 * 1024  # larger JSON/YAML is data (vocabularies, model configs), not settings
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*?)\s*$")
INI_SECTION_RE = re.compile(r"^\s*\[([^\]]+)\]\s*$")
INI_LINE_RE = re.compile(r"^([A-Za-z_][\w.\- ]*?)\s*[=:]\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class ConfigCredential:
    path: str
    machine: str
    line: int
    key_path: str  # dotted keys from the document root, `[i]` for list items
    format: str  # yaml | json | env | ini


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return re.split(r"\s+[#;]", value, maxsplit=1)[0]  # an inline comment after an unquoted value


def _yaml_credentials(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for document in yaml.compose_all(text, Loader=_LOADER):
        stack: list[tuple[yaml.Node, str, int]] = [(document, "", 0)] if document is not None else []
        while stack:
            node, path, depth = stack.pop()
            if depth > 64:  # aliases can make a composed tree cyclic
                continue
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if not isinstance(key, yaml.ScalarNode):
                        continue
                    key_path = f"{path}.{key.value}" if path else str(key.value)
                    if isinstance(value, yaml.ScalarNode):
                        if value.tag in _SCALAR_TAGS and is_secret_key(key.value) and not is_placeholder(value.value):
                            found.append((key.start_mark.line + 1, key_path))
                    else:
                        stack.append((value, key_path, depth + 1))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value))
    return found


def _env_credentials(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = ENV_LINE_RE.match(line)
        if match and not line.lstrip().startswith("#") and is_secret_key(match.group(1)):
            if not is_placeholder(_unquote(match.group(2))):
                found.append((number, match.group(1)))
    return found


def _ini_credentials(text: str) -> list[tuple[int, str]]:
    found, section = [], ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip()[:1] in "#;" or line[:1].isspace():
            continue  # blank, comment, or a continuation line
        header = INI_SECTION_RE.match(line)
        if header:
            section = header.group(1).strip()
            continue
        match = INI_LINE_RE.match(line)
        if match and is_secret_key(match.group(1)) and not is_placeholder(_unquote(match.group(2))):
            found.append((number, f"{section}.{match.group(1).strip()}" if section else match.group(1).strip()))
    return found


READERS = {"yaml": _yaml_credentials, "json": _yaml_credentials, "env": _env_credentials, "ini": _ini_credentials}


def credentials_in(text: str, format: str) -> list[tuple[int, str]]:
    """(line, key path) of every literal credential in one config file's text; [] when it does not parse."""
    try:
        return sorted(READERS[format](text))
    except yaml.YAMLError:
        return []  # malformed YAML is reported by the config readers (config-malformed); nothing to say here


@dataclass
class CredentialScan:
    credentials: list[ConfigCredential]
    digest: str  # of every config file's path and bytes, for the snapshot fingerprint
    files: int


def find_credentials(repo: Path, config: ScanConfig) -> CredentialScan:
    credentials: list[ConfigCredential] = []
    digest = hashlib.sha256()
    sources = list_files(repo, config, suffixes=CONFIG_SUFFIXES)
    for source in sources:
        try:
            data = (repo / source.path).read_bytes()
        except OSError:
            continue  # vanished since listing: the next scan sees it again
        digest.update(f"{source.path}\0{hashlib.sha256(data).hexdigest()}\n".encode())
        if len(data) > MAX_CONFIG_BYTES:
            continue
        format = next(f for suffix, f in FORMATS.items() if source.path.lower().endswith(suffix))  # `.env` has no suffix
        text = data.decode("utf-8", "replace")
        for line, key_path in credentials_in(text, format):
            credentials.append(ConfigCredential(source.path, source.machine, line, key_path, format))
    return CredentialScan(credentials, digest.hexdigest(), len(sources))


def add_credentials(graph: GraphSnapshot, found: CredentialScan) -> None:
    for n, credential in enumerate(found.credentials):
        graph.nodes["ConfigCredential"].add(
            id=f"{graph.snapshot}|cred:{n}", snapshot=graph.snapshot, path=credential.path, machine=credential.machine,
            line=credential.line, key_path=credential.key_path, format=credential.format,
        )
