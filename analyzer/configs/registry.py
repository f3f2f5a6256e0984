"""ports.yaml: the runtime port registry (`runtime/ports.py` reads the same format).

    ports:
      TRANSLATOR_REP: {port: 5563, machine: main_pc_code, owner: main_pc_code/agents/translator.py, socket: REP}
      HEALTH_PUB: 5610          # shorthand: just the number

Names are compared upper-cased with every non-alphanumeric character as `_`,
the rule `agent_runtime.ports.normalize_name` applies.
"""

from __future__ import annotations

import re

import yaml

from analyzer.configs import yamlnodes as y
from analyzer.configs.model import REGISTRY_PORT, ConfigFile, DeclaredPort
from analyzer.configs.values import Lookup, port_number


def normalize_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def read_registry(file: ConfigFile, documents: list[yaml.Node], env: Lookup) -> list[DeclaredPort]:
    entries = []
    for document in documents:
        table = y.field_of(document, "ports")
        for name, key_node, node in y.items(table) if table is not None else []:
            fields = y.fields(node)
            port_node = fields.get("port") if isinstance(node, yaml.MappingNode) else node
            if not isinstance(port_node, yaml.ScalarNode):
                continue
            entries.append(DeclaredPort(
                normalize_name(name), REGISTRY_PORT, port_number(y.value(port_node), env), port_node.value, file.path,
                _text(fields, "machine") or file.machine, y.line(key_node), owner=_text(fields, "owner"),
                socket=_text(fields, "socket").upper(),
            ))
    return entries


def _text(fields: dict[str, yaml.Node], key: str) -> str:
    found = fields.get(key)
    return (y.scalar_text(found) or "") if found is not None else ""
