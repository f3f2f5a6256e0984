"""Credentials are masked where facts are made: a secret planted in every place one hides comes out of no
store row, cache file, JSON, report, topology page, SARIF, annotation, issue payload or baseline."""

from __future__ import annotations

import pytest

from analyzer.redact import MASK, redact_text, redact_value
from analyzer.store.ladybug import LadybugStore
from analyzer.schema import NODE_TABLES, REL_TABLES
from tests.conftest import write_repo
from tests.hardening.hostile import PLANTED, cli

HIDING_PLACES = {
    "requirements.txt": f"requests==2.31.0\nprivate-lib @ git+https://oauth2:{PLANTED}@gitlab.example.com/team/lib.git\n"
                        f"-e git+https://{PLANTED}x{PLANTED}@github.com/team/tool.git#egg=tool\n",
    "pyproject.toml": f'[project]\nname = "system"\ndependencies = ["other @ git+https://ci:{PLANTED}@git.example.com/o.git"]\n',
    "main_pc_code/agents/bridge.py": (
        "import zmq\n\nctx = zmq.Context()\n\n\nclass Bridge:\n    def run(self):\n"
        "        sock = ctx.socket(zmq.REQ)\n"
        f"        sock.connect('tcp://agent:{PLANTED}@10.0.0.2:5555')  # TODO: rotate password={PLANTED} soon\n"
        "        try:\n            sock.send(b'x')\n        except:\n            pass\n"
    ),
    "main_pc_code/config/startup_config.yaml": (
        "agents:\n  - name: Bridge\n    script_path: agents/bridge.py\n    port: 5555\n"
        f"    host: 'redis://:{PLANTED}@cache-host'\n    params:\n      cache_host: 'redis://:{PLANTED}@cache-host:6379'\n"
    ),
    "docker-compose.yml": (
        "services:\n  bridge:\n    environment:\n"
        f"      DB_PASSWORD: {PLANTED}\n      REDIS_URL: 'redis://:{PLANTED}@redis:6379/0'\n      PORT: '5555'\n"
        f"    ports: ['5555:5555']\n  worker:\n    environment:\n      - API_TOKEN={PLANTED}\n"
    ),
    ".env": f"API_KEY={PLANTED}\nDATABASE_URL=postgres://app:{PLANTED}@db:5432/app\nBRIDGE_PORT=5555\n",
    "config/settings.yaml": f"database:\n  password: {PLANTED}\n",
}


@pytest.mark.parametrize("text, masked", [
    (f"tcp://agent:{PLANTED}@10.0.0.2:5555", "tcp://agent:***@10.0.0.2:5555"),
    (f"git+https://oauth2:{PLANTED}@gitlab.com/x.git", "git+https://oauth2:***@gitlab.com/x.git"),
    (f"redis://:{PLANTED}@redis:6379", "redis://:***@redis:6379"),
    (f"agent:{PLANTED}@10.0.0.2", "agent:***@10.0.0.2"),
    (f"https://ghp_{'a1' * 18}@github.com/o/r", "https://***@github.com/o/r"),
    ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
    (f"rotate password={PLANTED} soon", "rotate password=*** soon"),
    (f'"api_key": "{PLANTED}"', '"api_key": "***"'),
    ("password=${DB_PASSWORD} max_tokens=512", "password=${DB_PASSWORD} max_tokens=512"),
    (f"key AKIA{'A' * 16} here", "key *** here"),
])
def test_redact_text_masks_credentials_and_keeps_the_rest(text, masked):
    assert redact_text(text) == masked


def test_redact_value_masks_secret_names_whole():
    assert (redact_value("DB_PASSWORD", PLANTED), redact_value("API_TOKEN", "${TOKEN}")) == (MASK, "${TOKEN}")
    assert redact_value("REDIS_URL", f"redis://:{PLANTED}@r:1") == "redis://:***@r:1"
    assert redact_value("max_tokens", "512") == "512"


def _every_row(store) -> str:
    reader = LadybugStore(store, read_only=True)
    texts = []
    try:
        for table in NODE_TABLES:
            columns = ", ".join(f"n.`{c}`" for c in table.columns)
            texts += [repr(row) for row in reader.query(f"MATCH (n:{table.name}) RETURN {columns}").rows]
        for rel in REL_TABLES:
            if rel.properties:
                columns = ", ".join(f"r.`{c}`" for c in rel.properties)
                texts += [repr(row) for row in reader.query(f"MATCH ()-[r:{rel.name}]->() RETURN {columns}").rows]
    finally:
        reader.close()
    return "\n".join(texts)


@pytest.mark.slow
def test_a_secret_in_every_hiding_place_reaches_no_output(tmp_path):
    repo = write_repo(tmp_path / "system", HIDING_PLACES)
    store, cache, out = tmp_path / "store", tmp_path / "cache", tmp_path / "out"
    out.mkdir()
    common = ["--store", str(store)]
    outputs = {"scan --json": cli("scan", str(repo), *common, "--cache-dir", str(cache), "--json", check=True).stdout}
    rows = _every_row(store)
    assert "***@10.0.0.2:5555" in rows and "password=***" in rows and "redis://:***@" in rows  # masked, not dropped
    outputs["store rows"] = rows
    outputs["cache"] = "\n".join(p.read_bytes().decode("latin-1") for p in cache.rglob("*") if p.is_file())
    assert outputs["cache"]
    for name, args in {
        "query json": ["query", "--cypher", "MATCH (e:Endpoint) RETURN e.endpoint, e.host", "--format", "json"],
        "todos json": ["todos", "--format", "json"],
        "todos github": ["todos", "--format", "github"],
        "report html": ["report", "--format", "html", "--out", str(out / "report.html")],
        "topology html": ["topology", "--out", str(out / "topology.html")],
        "inventory": ["inventory", "--format", "json"],
    }.items():
        outputs[name] = cli(*args, *common, check=True).stdout
    for name, fmt in {"sarif": "sarif", "annotations": "github", "check json": "json"}.items():
        result = cli("check", str(repo), "--format", fmt, *common, "--cache-dir", str(cache))
        assert result.returncode in (0, 1), result.stderr
        outputs[name] = result.stdout
    assert "rotate password=***" in outputs["sarif"] or "rotate password=***" in outputs["todos json"]
    cli("baseline", str(repo), "--output", str(out / "baseline.json"), *common, "--cache-dir", str(cache), check=True)
    for path in out.iterdir():
        outputs[path.name] = path.read_text(encoding="utf-8")
    leaked = sorted(name for name, text in outputs.items() if PLANTED in text)
    assert leaked == []
