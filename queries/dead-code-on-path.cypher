// id: dead-code-on-path
// title: Backup and deprecated copies on the import path
// severity: medium
// category: structure
// precision: high
// tags: maintainability, CWE-561
// what: Finds backup, deprecated, old and trash modules (`*_backup.py`, `*_old.py`, `* copy.py`, files under `backup/`, `old/`, `deprecated/`, `archive/`, `trash/`) whose dotted name is importable (every part after the machine root a Python identifier), one row per module that imports it, or one row with an empty `importer` (and `import_line` 0) when nothing does. `line` is 1: the finding is the whole file.
// why: A copy left beside the live agents is one import, one launcher entry or one wildcard away from running: an autocompletion picks `translator_agent_backup`, a glob-based launcher starts it, and it binds the same ports as the original; scans, searches and refactors all have to step over it. An importer means live code already depends on the stale copy.
// fix: Point every importer at the live module, then delete the copy (version control keeps the history); if it must stay, move it out of the source roots or rename it so it cannot be imported (e.g. `translator_agent.py.bak`).
// message: Copy {path} is imported by {importer}:{import_line}
// column: path
// column: line
// column: importer
// column: import_line
// location: path, line
// identity: path, importer
MATCH (m:Module {snapshot: $snapshot})
WHERE m.is_copy AND m.name =~ '([^.]+[.])?[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)*'
OPTIONAL MATCH (i:Module)-[r:IMPORTS]->(m)
RETURN m.path AS path, 1 AS line, coalesce(i.path, '') AS importer, coalesce(r.line, 0) AS import_line
ORDER BY path, importer, import_line, line
