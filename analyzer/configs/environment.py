"""Environment assignments: `.env` files and compose services' `environment:` and `ports:`.

A `.env` file is `KEY=VALUE` lines (`export KEY=VALUE`, quotes and trailing
` # comments` allowed), not YAML. Compose values may use `${VAR:-default}`.
"""

from __future__ import annotations

import re

import yaml

from analyzer.configs import yamlnodes as y
from analyzer.configs.model import COMPOSE_PORT, ConfigFile, DeclaredPort, EnvValue
from analyzer.configs.values import Lookup, port_number, substitute
from analyzer.redact import redact_value

DOTENV_RE = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")


def read_dotenv(file: ConfigFile, text: str) -> list[EnvValue]:
    values = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = DOTENV_RE.match(raw)
        if match is None or raw.lstrip().startswith("#"):
            continue
        name = match.group("name")
        values.append(EnvValue(name, redact_value(name, _unquote(match.group("value"))), file.path, file.machine, number, "env"))
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value.split(" #", 1)[0].rstrip()


def read_compose_environment(file: ConfigFile, documents: list[yaml.Node]) -> list[EnvValue]:
    """`environment:` of every service, as a mapping or a list of `KEY=VALUE`."""
    values = []
    for _service, node in _services(documents):
        environment = y.field_of(node, "environment")
        for key, _key_node, value in y.items(environment) if environment is not None else []:
            text = y.scalar_text(value)
            if text is not None:
                values.append(EnvValue(key, redact_value(key, text), file.path, file.machine, y.line(value), "compose"))
        if isinstance(environment, yaml.SequenceNode):
            for item in environment.value:
                text = y.scalar_text(item) or ""
                name, sep, rest = text.partition("=")
                if sep and name.strip():
                    values.append(EnvValue(name.strip(), redact_value(name.strip(), rest), file.path, file.machine,
                                           y.line(item), "compose"))
    return values


def read_compose_ports(file: ConfigFile, documents: list[yaml.Node], env: Lookup) -> list[DeclaredPort]:
    """Each service's `ports:` as the container port it forwards to (what the agent inside binds)."""
    ports = []
    for service, node in _services(documents):
        listed = y.field_of(node, "ports", "expose")
        for item in listed.value if isinstance(listed, yaml.SequenceNode) else []:
            text = y.scalar_text(item)
            if text is None:
                target = y.field_of(item, "target")
                text = y.scalar_text(target) if target is not None else None
            if not text:
                continue
            target_text = _container_port(substitute(text, env) or text)
            ports.append(DeclaredPort(service, COMPOSE_PORT, port_number(target_text, env), text, file.path,
                                      file.machine, y.line(item), agent=service))
    return ports


def _container_port(text: str) -> str:
    """`"127.0.0.1:5650:5650/tcp"` -> `"5650"`; ranges are left as written (and so not a port)."""
    return text.rsplit("/", 1)[0].rsplit(":", 1)[-1].strip()


def _services(documents: list[yaml.Node]) -> list[tuple[str, yaml.Node]]:
    found: list[tuple[str, yaml.Node]] = []
    for document in documents:
        services = y.field_of(document, "services")
        for name, _key_node, node in y.items(services) if services is not None else []:
            if isinstance(node, yaml.MappingNode):
                found.append((name, node))
    return found
