"""Credentials masked where facts are made, before anything is stored, cached or printed.

    redact_text("tcp://agent:hunter2@10.0.0.2:5555")      -> "tcp://agent:***@10.0.0.2:5555"
    redact_text("agent:hunter2@10.0.0.2")                 -> "agent:***@10.0.0.2"
    redact_text("git+https://oauth2:ghp_x@github.com/o/r") -> "git+https://oauth2:***@github.com/o/r"
    redact_text("# TODO: drop password=hunter2")           -> "# TODO: drop password=***"
    redact_value("DB_PASSWORD", "hunter2")                 -> "***"

Free text (endpoints, comments, requirement lines, hosts) keeps its shape: only
a URL's password (or a lone token in its user part), `key=value` / `key: value`
pairs whose key names a secret, and well-known token formats are masked. A
value assigned to a secret-named key is masked whole unless it only refers to
another variable (`${DB_PASSWORD}`). The secret-name and placeholder vocabulary
lives here; the secrets extractor and the config-credential reader import it.
"""

from __future__ import annotations

import re

MASK = "***"
SECRET_NAME_RE = re.compile(
    r"(password|passwd|pwd|secret|token|api_?key|apikey|access_?key|secret_?key|private_?key|credentials?)$", re.I
)
# Tokenizer special tokens are not credentials.
NOT_SECRET_RE = re.compile(r"^(eos|bos|pad|unk|sep|cls|mask|max|num|n)_?tokens?$", re.I)
PLACEHOLDER_RES = tuple(re.compile(p, re.I) for p in (
    r"\$\{.*\}|\$\(.*\)|\{\{.*\}\}|%\(\w+\)s",  # ${VAR}, $(cmd), {{ template }}, %(name)s anywhere in the value
    r"\$[A-Za-z_]\w*|%\w+%|<[^<>]*>|ENC\[.*\]",  # $VAR, %VAR%, <your-password>, sops-encrypted
    r"(vault|env|secret|ssm|file|secretsmanager):.*",  # references resolved at deploy time
    r"x+|\*+|\.+|-+|_+|#+|0+",
    r"(your|enter|insert)[_\- ].*",
    r"changeme|change[_\-]me|replace[_\-]?me|todo|tbd|fixme|none|null|nil|undefined|placeholder|example|dummy|"
    r"redacted|hidden|secret[_\-]here|password[_\-]here|not[_\-]set|unset",
    r"(/|\./|~/).*|.*\.(json|pem|key|crt|txt|ya?ml)",  # a path to where the secret lives
))

# scheme://userinfo@ : greedy up to the last `@` before the path, so a password holding `@` is masked whole.
_URL_USERINFO_RE = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/\s'\"<>`]*)@")
# user:password@host without a scheme (a ZeroMQ host part, a DSN fragment).
_BARE_USERINFO_RE = re.compile(r"(?P<user>[A-Za-z0-9._%+\-]*):(?P<password>[^\s/@'\"<>`:()\[\]]+)@(?=[\w\[])")
# A lone user part that is a login name (git@, deploy@), not a token.
_LOGIN_RE = re.compile(r"[a-z_][a-z0-9_.\-]{0,19}")
_SECRET_PAIR_RE = re.compile(
    r"(?P<key>[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|"
    r"credentials?))(?P<separator>['\"]?\s*[:=]\s*)(?P<quote>['\"]?)(?P<value>\$\{[^}]*\}|[^\s'\",;&#)\]}]+)",
    re.I,
)
_TOKEN_RES = (
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,})"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),  # a JWT
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
)
_REFERENCE_RE = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_]\w*|\$\([^)]*\)|\{\{[^}]*\}\}")


def is_secret_key(name: str) -> bool:
    """`DB_PASSWORD`, `api-key`, `token`: a name whose value is a credential (`max_tokens` is not)."""
    normal = name.replace("-", "_").strip()
    return bool(SECRET_NAME_RE.search(normal)) and not NOT_SECRET_RE.match(normal)


def is_placeholder(value: str) -> bool:
    """Empty, `${VAR}`, `<your-token>`, `changeme`, a path to a key file...: no credential itself."""
    text = value.strip()
    return not text or any(pattern.fullmatch(text) for pattern in PLACEHOLDER_RES)


def _mask_userinfo(match: re.Match[str]) -> str:
    userinfo = match.group("userinfo")
    if not userinfo:
        return match.group(0)
    user, colon, _password = userinfo.partition(":")
    if colon:
        return f"{match.group('scheme')}{user}:{MASK}@"
    if _LOGIN_RE.fullmatch(user):
        return match.group(0)
    return f"{match.group('scheme')}{MASK}@"  # https://<token>@github.com


def _mask_pair(match: re.Match[str]) -> str:
    if NOT_SECRET_RE.match(match.group("key")) or _REFERENCE_RE.fullmatch(match.group("value")):
        return match.group(0)
    return f"{match.group('key')}{match.group('separator')}{match.group('quote')}{MASK}"


def redact_text(text: str) -> str:
    """`text` with URL passwords, secret `key=value` pairs and known token formats masked."""
    if not text:
        return text
    text = _URL_USERINFO_RE.sub(_mask_userinfo, text)
    text = _BARE_USERINFO_RE.sub(lambda m: f"{m.group('user')}:{MASK}@" if m.group("password") != MASK else m.group(0), text)
    text = _SECRET_PAIR_RE.sub(_mask_pair, text)
    for pattern in _TOKEN_RES:
        text = pattern.sub(MASK, text)
    return text


def redact_value(name: str, value: str) -> str:
    """The value assigned to `name` (an env variable, a config key): masked whole when `name` names a secret."""
    if is_secret_key(name) and value.strip() and not _REFERENCE_RE.fullmatch(value.strip()):
        return MASK
    return redact_text(value)
