"""Hard-coded secrets: a secret-named target given a literal that looks like a credential.

The vocabulary (analyzer/redact.py) is shared with the config-file reader (analyzer/credentials.py):
a secret name ends with password, passwd, pwd, secret, token, api_key, access_key,
secret_key, private_key or credential(s); a placeholder is empty, `${VAR}`,
`<your-token>`, `changeme`, `xxx`, a path to where the secret lives, and so on.
In code, a value is not a credential either when it is the target's own name or
another secret word (`PASSWORD = "password"`, `TOKEN = "api_key"`), prose with
spaces (`"Enter your password"`), or an environment variable's name
(`API_KEY = "OPENAI_API_KEY"`), and members of Enum classes are labels, never
credentials. Parameter defaults are Bandit's B107 (analyzer/extract/bandit.py).

Targets: names, attributes (`settings.api_key = ...`), subscripts with a literal
key (`app.config["SECRET_KEY"] = ...`, `os.environ["DB_PASSWORD"] = ...`), dict
entries (`{"password": ...}`) and keyword arguments (`Client(api_key=...)`).
The value is read to judge it and never kept: a fact holds where and which target.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import SecretFact
from analyzer.redact import is_placeholder, is_secret_key

if TYPE_CHECKING:
    from libcst.metadata import CodeRange  # imported when a file holds a secret (see _line)

_ENV_NAME_RE = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+")  # OPENAI_API_KEY: where to read the secret from
_ENUM_BASE_RE = re.compile(r"(^|\.)(\w*Enum|Flag|IntFlag)$")
# How the target is written (SecretFact.written_as).
NAME, ATTRIBUTE, SUBSCRIPT, DICT_KEY, KEYWORD = "name", "attribute", "subscript", "dict_key", "keyword"


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def looks_like_credential(name: str, value: str) -> bool:
    """Whether `value`, given to the secret-named `name`, is a credential rather than a label or a pointer."""
    if is_placeholder(value) or any(character.isspace() for character in value.strip()):
        return False
    squashed = _squashed(value)
    own = _squashed(name.rsplit(".", 1)[-1])
    return not (squashed == own or own.endswith(squashed) or is_secret_key(value) or _ENV_NAME_RE.fullmatch(value))


def _literal_text(node: cst.BaseExpression | None) -> str | None:
    """The text of a plain string or bytes literal (concatenations included), else None."""
    if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    value = node.evaluated_value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


def _target(node: cst.BaseExpression) -> tuple[str, str, str] | None:
    """(the secret name judged, the target as written, how it is written) of an assignment target."""
    if type(node) is cst.Name:
        return node.value, node.value, NAME
    if type(node) is cst.Attribute:
        return node.attr.value, dotted_name(node) or node.attr.value, ATTRIBUTE
    if type(node) is cst.Subscript and len(node.slice) == 1:
        index = node.slice[0].slice
        key = _literal_text(index.value) if type(index) is cst.Index else None
        if key is not None:
            owner = dotted_name(node.value)
            return key, f'{owner}["{key}"]' if owner else f'["{key}"]', SUBSCRIPT
    return None


class SecretExtractor(Extractor):
    facts_field = "secrets"
    EXAMPLES = [
        Example("DB_PASSWORD = 'hunter2'\n", [{"target": "DB_PASSWORD", "written_as": "name"}]),
        Example("app.config['SECRET_KEY'] = 'f3a9c1d2e4'\n",
                [{"target": 'app.config["SECRET_KEY"]', "written_as": "subscript", "line": 1}]),
        Example("settings.api_key = 'sk-live-123'\n", [{"target": "settings.api_key", "written_as": "attribute"}]),
        Example("client = Client(api_key='sk-123')\n", [{"target": "api_key", "written_as": "keyword"}]),
        Example("DB = {\n    'host': 'db',\n    'password': 's3cr3t!',\n}\n",
                [{"target": "password", "written_as": "dict_key", "line": 3}]),
        Example("client = connect(\n    host='db',\n    password='s3cr3t!',\n)\n",
                [{"target": "password", "written_as": "keyword", "line": 3}]),
        Example("class Agent:\n    def __init__(self):\n        self.token: str = 'ghp_abc123'\n",
                [{"target": "self.token", "written_as": "attribute", "function": "Agent.__init__"}]),
        Example("class Field(Enum):\n    PASSWORD = 'password'\n    TOKEN = 'auth-token-7f'\n"
                "class Labels:\n    PASSWORD = 'password'\n    API_KEY = 'api_key'\n", []),
        Example("password = os.environ['PW']\neos_token = '</s>'\ntoken = ''\nSECRET = 'changeme'\n"
                "API_KEY = '<token>'\nOPENAI_API_KEY = 'OPENAI_API_KEY'\nAPI_KEY = 'OPENAI_API_KEY'\n"
                "password_prompt = 'Enter your password'\nPASSWORD = 'Enter your password'\n"
                "private_key = '/etc/keys/agent.pem'\nf(password=f'{pw}')\n", []),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.enum_classes: set[str] = set()
        self.positions: Mapping[cst.CSTNode, CodeRange] | None = None  # libcst positions, computed for the first argument or dict entry reported

    def _line(self, node: cst.CSTNode) -> int:
        """A statement's line from the shared index; an argument's or a dict entry's own line (in a call or dict
        over many lines) from one code generation of the file, which only files holding a secret pay for."""
        if type(node) in (cst.Assign, cst.AnnAssign):
            return self.context.line_of(node)
        if self.positions is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            self.positions = MetadataWrapper(self.context.module, unsafe_skip_copy=True).resolve(PositionProvider)
        return self.positions[node].start.line

    def on_ClassDef(self, node: cst.ClassDef, scope: Scope) -> None:
        if any(_ENUM_BASE_RE.search(dotted_name(base.value)) for base in node.bases):
            self.enum_classes.add(node.name.value)

    def on_Assign(self, node: cst.Assign, scope: Scope) -> None:
        for target in node.targets:
            self._assignment(target.target, node.value, node, scope)

    def on_AnnAssign(self, node: cst.AnnAssign, scope: Scope) -> None:
        self._assignment(node.target, node.value, node, scope)

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        for arg in node.args:
            if arg.keyword is not None:
                self._judge(arg.keyword.value, arg.keyword.value, KEYWORD, arg.value, arg, scope)

    def on_Dict(self, node: cst.Dict, scope: Scope) -> None:
        for element in node.elements:
            if type(element) is cst.DictElement:
                key = _literal_text(element.key)
                if key is not None:
                    self._judge(key, key, DICT_KEY, element.value, element, scope)

    def _assignment(self, target: cst.BaseExpression, value, node, scope: Scope) -> None:
        found = _target(target)
        if found is None:
            return
        if found[2] == NAME and not scope.function and scope.class_name in self.enum_classes:
            return  # an Enum member's value is its label
        self._judge(*found, value, node, scope)

    def _judge(self, name: str, target: str, written_as: str, value, node, scope: Scope) -> None:
        text = _literal_text(value)
        if text is None or not is_secret_key(name) or not looks_like_credential(name, text):
            return
        self.context.facts.secrets.append(SecretFact(self._line(node), target, written_as, scope.function))
