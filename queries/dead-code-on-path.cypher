// id: dead-code-on-path
// title: Backup and deprecated copies on the import path
// severity: medium
// category: structure
// precision: high
// tags: maintainability, CWE-561
// what: Finds copies (archived, backup, deprecated, trash and reference copies by folder or file name, `[tool.analyzer]` copy globs, or a live module's content: docs/copies.md; `copy_reason` says which) whose dotted name is importable (every part after the machine root a Python identifier), one row per live module that imports it, or one row with an empty `importer` (and `import_line` 0) when no live module does. `line` is 1: the finding is the whole file. This check reports copies, which every other check leaves out by default.
// why: A copy left beside the live agents is one import, one launcher entry or one wildcard away from running: an autocompletion picks `translator_agent_backup`, a glob-based launcher starts it, and it binds the same ports as the original; scans, searches and refactors all have to step over it. An importer means live code already depends on the stale copy.
// fix: Point every importer at the live module, then delete the copy (version control keeps the history); if it must stay, move it out of the source roots or rename it so it cannot be imported (e.g. `translator_agent.py.bak`).
// message: Copy {path} ({copy_reason}) is on the import path, imported by {importer|no live module}
// column: path
// column: line
// column: copy_reason
// column: importer
// column: import_line
// location: path, line
// identity: path, importer
MATCH (m:Module {snapshot: $snapshot})
WHERE m.is_copy AND m.name =~ '([^.]+[.])?[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)*'
OPTIONAL MATCH (i:Module)-[r:IMPORTS]->(m)
WHERE NOT i.is_copy
RETURN m.path AS path, 1 AS line, m.copy_reason AS copy_reason, coalesce(i.path, '') AS importer,
       coalesce(r.line, 0) AS import_line
ORDER BY path, importer, import_line, line, copy_reason
