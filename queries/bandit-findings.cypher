// id: bandit-findings
// title: Bandit findings (curated tests)
// severity: medium
// category: security
// precision: medium
// tags: security
// what: Lists what Bandit's curated tests found, with Bandit's own test ids (B614 torch.load without weights_only, B301 pickle.loads, B608 SQL built from strings, ...): Bandit runs as a library inside the scan's workers on the tree extraction already parsed, and `# nosec` comments are honoured. docs/security.md lists the tests and why each is in the selection. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Each id's page in Bandit's documentation says why it matters and how to fix it. Findings at or above $min_severity are listed.
// fix: Follow the fix on the Bandit test's own documentation page; `# nosec BXXX <reason>` records an accepted risk.
// message: Bandit {test_id} ({test_name}, {bandit_severity} severity): {message}
// param: min_severity = 'low'
// param: include_copies = False
// column: path
// column: line
// column: test_id
// column: test_name
// column: bandit_severity
// column: confidence
// column: cwe
// column: message
// location: path, line
// identity: path, test_id, message
MATCH (m:Module {snapshot: $snapshot})-[:HAS_BANDIT_FINDING]->(b:BanditFinding)
WHERE (b.severity = 'high' OR (b.severity = 'medium' AND $min_severity <> 'high') OR $min_severity = 'low')
  AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, b.line AS line, b.test_id AS test_id, b.test_name AS test_name,
       b.severity AS bandit_severity, b.confidence AS confidence, b.cwe AS cwe, b.message AS message
ORDER BY path, line, test_id, test_name, bandit_severity, confidence, cwe, message
