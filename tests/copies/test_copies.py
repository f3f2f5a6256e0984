"""Which files are copies: the default words on folders and file names, and `[tool.analyzer]` globs."""

from __future__ import annotations

import pytest

from analyzer.config import ConfigError, load_scan_config
from analyzer.copies import DEFAULT_RULES, CopyRules, classify_paths
from tests.conftest import write_repo

# Copy folders and names seen in real two-machine trees.
COPIES = {
    "main_pc_code/_trash_2025-06-13/agents/chitchat_agent.py": "folder:_trash_2025-06-13",
    "ARCHIVEDONTUSE/pc2_code/agents/dream_agent.py": "folder:ARCHIVEDONTUSE",
    "main_pc_code/_archive/agents/tts_agent.py": "folder:_archive",
    "pc2_code/_referencefolderpc2/memory_agent.py": "folder:_referencefolderpc2",
    "main_pc_code_deprecated_components/agents/nlu_agent.py": "folder:main_pc_code_deprecated_components",
    "backups/2025-07-01/main_pc_code/agents/stt_agent.py": "folder:backups",
    "main_pc_code/agents/old/translator_agent.py": "folder:old",
    "main_pc_code/agents.bak/translator_agent.py": "folder:agents.bak",
    "pc2_code/legacy/py2_agent.py": "folder:legacy",
    "pc2_code/obsolete_agents/x.py": "folder:obsolete_agents",
    "main_pc_code/agents_2025-06-13/x.py": "folder:agents_2025-06-13",
    "main_pc_code/agents/translator_agent_backup.py": "name:backup",
    "main_pc_code/config/system_config_backup_20250602_213452.py": "name:backup",
    "main_pc_code/agents/agent.backup_day4_1.py": "name:backup",
    "main_pc_code/agents/model_manager_backup_before_refactor.py": "name:backup",
    "main_pc_code/agents/nlu_agent_old.py": "name:old",
    "main_pc_code/agents/old_translator.py": "name:old",
    "main_pc_code/agents/translator_agent copy.py": "name:copy",
    "main_pc_code/agents/copy_of_tts_agent.py": "name:copy",
    "main_pc_code/agents/tts_agent_orig.py": "name:orig",
    "main_pc_code/agents/session_agent_20250602.py": "date",
}
# Live code whose names merely contain a copy word.
LIVE = [
    "main_pc_code/agents/backup_agent.py",  # backs things up
    "main_pc_code/agents/memory_backup_agent.py",
    "main_pc_code/agents/archive_service.py",
    "pc2_code/agents/gold_agent.py",
    "pc2_code/holder/threshold.py",
    "main_pc_code/utils/legacy_protocol.py",  # a folder named legacy is a copy, a file name is not
    "main_pc_code/utils/reference_data.py",
    "main_pc_code/agents/older_sibling_agent.py",
]


@pytest.mark.parametrize("path", sorted(COPIES))
def test_copy_folders_and_names_are_copies(path):
    reason = DEFAULT_RULES.reason(path)
    expected = COPIES[path]
    assert reason == (expected if ":" in expected else f"name:{expected}")


@pytest.mark.parametrize("path", LIVE)
def test_live_names_that_contain_a_copy_word_are_not(path):
    assert DEFAULT_RULES.reason(path) == ""


def test_settings_extend_replace_and_exempt(tmp_path):
    extended = CopyRules.from_settings({"extend-copies": ["main_pc_code/attic/*"], "live": ["pc2_code/legacy/*"]})
    assert extended.reason("main_pc_code/attic/x.py") == "glob:main_pc_code/attic/*"
    assert extended.reason("main_pc_code/agents/old/x.py") == "folder:old"
    assert extended.reason("pc2_code/legacy/py2_agent.py") == ""
    replaced = CopyRules.from_settings({"copies": ["main_pc_code/attic/*"]})
    assert replaced.reason("main_pc_code/attic/x.py") == "glob:main_pc_code/attic/*"
    assert replaced.reason("main_pc_code/agents/old/x.py") == ""
    index = classify_paths(["main_pc_code/attic/x.py", "main_pc_code/agents/a.py"], replaced)
    assert index.is_copy("main_pc_code/attic/x.py") and not index.is_copy("main_pc_code/agents/a.py")


def test_copy_settings_are_read_from_the_repository_and_checked(tmp_path):
    write_repo(tmp_path, {"pyproject.toml": '[tool.analyzer]\nextend-copies = ["*/attic/*"]\nlive = ["*/legacy/*"]\n'})
    rules = load_scan_config(tmp_path).copies
    assert rules.is_copy("main_pc_code/attic/a.py") and not rules.is_copy("pc2_code/legacy/a.py")
    write_repo(tmp_path, {"pyproject.toml": '[tool.analyzer]\ncopies = "attic"\n'})
    with pytest.raises(ConfigError, match="copies must be a list of strings"):
        load_scan_config(tmp_path)


# --- machines of copies -----------------------------------------------------------------------------

NESTED = {
    "main_pc_code/agents/stt_agent.py": "main_pc_code",
    "pc2_code/agents/dream_agent.py": "pc2_code",
    "common/util.py": "common",
    "backups/2025-07-01/main_pc_code/agents/stt_agent.py": "main_pc_code",
    "ARCHIVEDONTUSE/pc2_code/agents/dream_agent.py": "pc2_code",
    "main_pc_code/_trash_2025-06-13/pc2_code/agents/x.py": "pc2_code",
    "main_pc_code/_archive/agents/tts_agent.py": "main_pc_code",
    "main_pc_code_deprecated_components/agents/nlu_agent.py": "main_pc_code",
    "_trash_2025-06-13/loose_script.py": "",
    "setup.py": "",
}


@pytest.mark.parametrize("pyproject", ["", '[tool.analyzer]\nroots = ["main_pc_code", "pc2_code", "common"]\n'],
                         ids=["roots-unconfigured", "roots-configured"])
def test_a_machine_root_nested_in_a_copy_folder_is_a_copy_of_that_machine(tmp_path, pyproject):
    from analyzer.discover import list_files

    repo = write_repo(tmp_path, {path: "x = 1\n" for path in NESTED} | {"pyproject.toml": pyproject})
    machines = {source.path: source.machine for source in list_files(repo, load_scan_config(repo))}
    assert machines == NESTED


# --- copies by content ------------------------------------------------------------------------------

AGENT = ("import zmq\n\n\nclass TranslatorAgent:\n    def __init__(self):\n        self.socket = zmq.Context().socket(zmq.REP)\n\n"
         "    def run(self):\n        while True:\n            self.socket.send(self.socket.recv())\n")


def _facts(files: dict[str, str]):
    from analyzer.extract import extract_source

    return [extract_source(code, path, path.split("/")[0]) for path, code in sorted(files.items())]


def test_a_module_with_a_live_modules_content_is_a_copy_of_it():
    from analyzer.copies import classify_copies

    files = _facts({
        "main_pc_code/agents/translator_agent.py": AGENT,
        "main_pc_code/agents_snapshot_0713/translator_agent.py": "# snapshot before the refactor\n" + AGENT,
        "main_pc_code/agents_snapshot_0713/__init__.py": "",
        "main_pc_code/agents/__init__.py": "",
        "main_pc_code/agents/old/translator_agent.py": AGENT,  # a copy by its folder already
        "pc2_code/agents/translator_agent.py": AGENT,  # the same agent deployed on the other machine: live
    })
    index = classify_copies(files, DEFAULT_RULES, [], {"main_pc_code/agents/translator_agent.py"})
    assert index.reasons == {
        "main_pc_code/agents_snapshot_0713/translator_agent.py": "content:main_pc_code/agents/translator_agent.py",
        "main_pc_code/agents/old/translator_agent.py": "folder:old",
    }
    assert index.suggested_globs == ("main_pc_code/agents_snapshot_0713/*",)
    # Empty `__init__.py` files share content but have none to compare: neither is a copy of the other.
    assert not index.is_copy("main_pc_code/agents/__init__.py")


def test_an_import_from_live_code_decides_which_one_is_live_and_no_evidence_decides_nothing():
    from analyzer.copies import classify_copies

    files = _facts({"main_pc_code/utils/text.py": AGENT, "main_pc_code/utils/text_v2.py": AGENT,
                    "main_pc_code/agents/a.py": "from utils.text_v2 import TranslatorAgent\n"})
    imported = classify_copies(files, DEFAULT_RULES, [("main_pc_code/agents/a.py", "main_pc_code/utils/text_v2.py")], set())
    assert imported.reasons == {"main_pc_code/utils/text.py": "content:main_pc_code/utils/text_v2.py"}
    assert imported.suggested_globs == ("main_pc_code/utils/text.py",)  # its folder holds live code: the file alone
    assert classify_copies(files, DEFAULT_RULES, [], set()).reasons == {}  # nothing uses either: no evidence
    both_used = classify_copies(files, DEFAULT_RULES, [("main_pc_code/agents/a.py", "main_pc_code/utils/text_v2.py")],
                                {"main_pc_code/utils/text.py"})
    assert both_used.reasons == {}
