"""docs/codemods.md, generated from the codemods' own metadata and examples.

Regenerate with `python -m agent_graph_codemods.docs` (from the repository root); a test fails
when the file on disk differs from what this module renders.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.generated_docs import write_or_check
from agent_graph_codemods import all_codemods
from agent_graph_codemods.base import Codemod, Example, apply_to_source

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "codemods.md"

USAGE = """\
```
analyzer fix --list
analyzer fix NAME [PATH] [--diff] [--apply] [--branch NAME] [--commit] [--pr]
             [--exclude GLOB] [--include-copies]
             [--jobs N] [--unsafe] [--allow-dirty] [--log-swallowed] [--limit N] [-o KEY=VALUE]
             [--cache-dir DIR] [--no-cache]
```

- NAME is one codemod, several joined by commas (one commit each), or `all` (unsafe ones only with `--unsafe`).
- Without `--apply` the run is dry: the unified diff goes to stdout, the summary (files, edits per file,
  files skipped because they do not parse, notes) to stderr. A dry run checks each rewritten file with
  `compile()`; what `--apply` writes is also parsed with libcst again.
- `--apply` writes: every rewritten file is parsed with libcst and compiled before it replaces the original,
  through a temporary file in the same folder, fsync and `os.replace`, keeping the mode bits. A run that is
  killed leaves each file either as it was or fully rewritten. Running a codemod twice changes nothing the
  second time.
- Inside a git repository, writing refuses to start when PATH has uncommitted changes (`--allow-dirty`
  overrides); `.git`, `.venv`, `node_modules`, `__pycache__` and `.gitignore`d files are skipped.
- A folder is fixed within the scope a scan reads: files matching `[tool.analyzer] exclude` (of the nearest
  `pyproject.toml` / `.analyzer.toml` at or above PATH) or `--exclude GLOB` (repeatable) are skipped, and so are
  archived, backup and reference copies (`[tool.analyzer] copies`, see analyzer/copies.py) unless
  `--include-copies`. The summary says how many files were skipped and why. A file named as PATH is fixed as asked.
- `--branch NAME` puts the changes on a new branch, created only when something changed; `--commit` makes one
  commit per codemod, its message stating what changed and how many sites; `--pr` (implies `--commit`, default
  branch `analyzer-fix/NAME`) pushes and runs `gh pr create` with a summary table and review notes. Without `gh`
  or a remote it writes the patch and the pull-request body under `.git/analyzer-fix/` and says how to open it.
  With nothing to fix, `--branch` and `--pr` create nothing.
- Unsafe fixes change run-time behaviour; they are shown in a dry run but written only with `--unsafe`
  (which also lets `narrow-excepts` narrow handlers it could only partly prove: docs/narrow-excepts.md).
- `--limit N` changes only the first N files (by path) that would change, and names the next one: run it
  daily for a fixed-size batch, e.g. `analyzer fix narrow-excepts . --limit 30 --pr`. The files left for a later
  run count as sites left: `--apply` exits 1 until the last batch.
- After `analyzer scan` (or `check`), the facts it cached for each file's current bytes say which files a
  codemod can change: `bare-except` parses only the files with a bare handler (`--log-swallowed`: a bare or
  broad one), `port-literals` only those with a bind or connect; the others are neither parsed nor collected.
  The result is the same as parsing every file. A file whose bytes changed since the scan, or that did not
  parse, is parsed as before; with no cached facts at all the run says so in one line and parses every file.
  `--cache-dir` names the cache folder (as for `scan`), `--no-cache` parses every file.
- In such a file `bare-except` (without `--log-swallowed`) parses with libcst only the `try` statements that
  hold a bare handler, found with CPython's parser, and splices their rewrite into the file's text: the same
  bytes as a rewrite of the whole module, at a fraction of the cost. UTF-8 files with `\\n` line breaks only;
  others are rewritten whole.
- Files are processed in parallel (`--jobs`, default all cores) in worker processes tied to the run, each file
  under the scan's `max_file_seconds`: a file that outlasts it or kills its worker is listed as not parsing,
  and the run goes on (`--jobs 1`, or fewer than 8 files: one process, no limit). The progress bar is shown
  on a terminal only.
- Exit codes: a dry run exits 0 when there is nothing to change, 1 when there is; with `--apply` (or
  `--branch`, `--commit`, `--pr`) 0 when every site was fixed, 1 when some were left as they are (the notes say
  which and why); 2 on an error, a file whose rewrite failed included. `analyzer fix NAME --apply && git commit`
  commits only a complete fix.
"""


def _code_block(code: str) -> list[str]:
    return ["```python", code.rstrip("\n"), "```"]


def _example(codemod: type[Codemod], example: Example) -> list[str]:
    title = example.title or ("Left unchanged" if example.after is None else "Example")
    lines = [f"#### {title}", ""]
    if example.options:
        options = " ".join(f"-o {key}={str(value).lower()}" for key, value in example.options.items())
        lines += [f"Options: `{options}`", ""]
    if example.after is None:
        return lines + ["Left unchanged:", "", *_code_block(example.before), ""]
    lines += ["Before:", "", *_code_block(example.before), "", "After:", "", *_code_block(example.after), ""]
    extra = apply_to_source(codemod(example.options), example.before, example.path).extra_files
    for path, content in sorted(extra.items()):
        fence = "yaml" if path.endswith((".yaml", ".yml")) else "text"
        lines += [f"Writes `{path}`:", "", f"```{fence}", content.decode("utf-8").rstrip("\n"), "```", ""]
    return lines


def _section(codemod: type[Codemod]) -> list[str]:
    lines = [f"## {codemod.code} `{codemod.name}` ({codemod.safety})", "", codemod.summary, ""]
    lines += ["### What it does", "", codemod.what_it_does, "", "### Why is this bad?", "", codemod.why, ""]
    if codemod.OPTIONS:
        lines += ["### Options", "", "| option | default | meaning |", "| --- | --- | --- |"]
        for key, option in codemod.OPTIONS.items():
            lines.append(f"| `{key}` | `{str(option.default).lower()}` | {option.help} |")
        lines.append("")
    if codemod.review:
        lines += ["### Reviewing the change", "", codemod.review, ""]
    lines += ["### Examples", ""]
    for example in codemod.EXAMPLES:
        lines += _example(codemod, example)
    return lines


def anchor(codemod: type[Codemod]) -> str:
    """The codemod's section anchor in docs/codemods.md (its `## CODE `name` (safety)` heading)."""
    return f"{codemod.code.lower()}-{codemod.name}-{codemod.safety}"


def render() -> str:
    codemods = list(all_codemods().values())
    lines = [
        "# Codemods",
        "",
        "<!-- Generated by `python -m agent_graph_codemods.docs` from codemods/agent_graph_codemods/*.py;"
        " do not edit by hand. -->",
        "",
        "Each codemod is one file in `codemods/agent_graph_codemods/` carrying its documentation and before/after",
        "examples; the tests in `tests/codemods/` and this page are generated from them.",
        "",
        "| code | name | safety | what it fixes |",
        "| --- | --- | --- | --- |",
        *[f"| {c.code} | [`{c.name}`](#{anchor(c)}) | {c.safety} | {c.summary} |" for c in codemods],
        "",
        "## Usage",
        "",
        USAGE,
    ]
    for codemod in codemods:
        lines += _section(codemod)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(DOC_PATH, render(), "python -m agent_graph_codemods.docs", argv)


if __name__ == "__main__":
    raise SystemExit(main())
