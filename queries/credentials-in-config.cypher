// id: credentials-in-config
// title: Credentials written into config files
// severity: high
// category: security
// precision: medium
// tags: security, CWE-798
// what: Finds YAML, JSON, .env and INI values under keys like password, passwd, secret, token or api_key that hold a literal string rather than a placeholder (`${VAR}`, `<your-token>`, `changeme`, a vault or file reference). admin/admin counts. The value itself is never stored or shown, only the file, line and key path. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Secrets in the repository leak with every clone, backup and log of the config, and cannot be rotated without a commit.
// fix: Read the value from the environment or a secret store (`password: ${DB_PASSWORD}`), and rotate the one that was committed.
// message: A credential is written into {path} under {key}
// param: include_copies = False
// column: path
// column: line
// column: key
// column: format
// location: path, line
// identity: path, key
MATCH (c:ConfigCredential {snapshot: $snapshot})
WHERE $include_copies OR NOT c.is_copy
RETURN c.path AS path, c.line AS line, c.key_path AS key, c.format AS format
ORDER BY path, line, key, format
