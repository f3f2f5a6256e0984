"""`analyzer check`: the library's detection queries as CI checks that fail only on what is new.

Findings (analyzer/findings.py) are filtered here in one direction:
config (enabled checks, parameters, per-path ignores) -> inline suppressions
(`# analyzer: ignore[check-id]`) -> baseline or `--base REF` (fingerprints
without line numbers, fingerprint.py; statements read by sources.py) ->
placement on the changed lines (attribute.py) -> changed files -> outputs
(formats.py, sarif.py). `run.py` ties them together; analyzer/git.py reads the
user's repository without ever writing to its work tree.
"""
