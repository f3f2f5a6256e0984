"""Narrowing broad exception handlers to what their `try` bodies can raise.

- `model.py`: the per-file raise facts extraction writes (analyzer/extract/raising.py).
- `raises.yaml` / `table.py`: what common calls raise, with sources; extended by `[[tool.analyzer.raises]]`.
- `infer.py`: the whole-repository pass: what each try body can raise, and a verdict per bare or broad
  handler, used by the scan (ExceptClause.narrowable / narrow_types) and by `analyzer fix narrow-excepts`.

docs/narrow-excepts.md explains the inference and the table.
"""
