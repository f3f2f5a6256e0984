"""hardcoded-secrets on a scanned repository: the sites are found, their values are stored nowhere."""

from __future__ import annotations

from pathlib import Path

from analyzer import queries
from analyzer.check.formats import render_json
from analyzer.check.run import CheckOptions, run_check
from analyzer.check.sarif import render_sarif
from tests.conftest import write_repo

VALUES = ("Zq7-flask-4471", "Vision#2024-88", "sk-live-51Hx93", "tok_8f3a0c77")
FILES = {
    "main_pc_code/services/web_api.py": (
        "from flask import Flask\n\napp = Flask(__name__)\n"
        f"app.config['SECRET_KEY'] = '{VALUES[0]}'\n"
    ),
    "pc2_code/agents/vision_agent.py": (
        f"DB = {{'host': 'db', 'password': '{VALUES[1]}'}}\n\n\n"
        "class VisionAgent:\n"
        "    def __init__(self, settings, client):\n"
        f"        settings.api_key = '{VALUES[2]}'\n"
        f"        client.login(auth_token='{VALUES[3]}')\n"
    ),
}


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_secret_values_reach_no_store_cache_or_output(tmp_path):
    repo = write_repo(tmp_path / "repo", FILES)
    store, cache = tmp_path / "store", tmp_path / "cache"
    result = run_check(CheckOptions(repo=repo, store=str(store), cache_dir=str(cache), jobs=1,
                                    select=["hardcoded-secrets"]))
    assert sorted((r.path, r.line, r.finding.row["target"]) for r in result.findings) == [
        ("main_pc_code/services/web_api.py", 4, 'app.config["SECRET_KEY"]'),
        ("pc2_code/agents/vision_agent.py", 1, "password"),
        ("pc2_code/agents/vision_agent.py", 6, "settings.api_key"),
        ("pc2_code/agents/vision_agent.py", 7, "auth_token"),
    ]
    outputs = [render_json(result), render_sarif(result, repo),
               *(queries.get("hardcoded-secrets").render_message(r.finding.row) for r in result.findings)]
    database, cached = _files_under(store), _files_under(cache)
    assert database and cached, "the scan wrote no store or no cache files"
    stored = [path.read_bytes() for path in (*database, *cached)]
    for value in VALUES:
        assert not any(value in text for text in outputs), f"{value} is in an output"
        assert not any(value.encode() in data for data in stored), f"{value} is in the store or the facts cache"
