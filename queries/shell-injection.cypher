// id: shell-injection
// title: Shell commands built from run-time values
// severity: high
// category: security
// precision: high
// tags: security, CWE-78
// what: Finds `subprocess` calls with `shell=True`, `os.system` and `os.popen` whose command is built from non-literals: an f-string, concatenation, `%` or `.format`, or a variable. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A value that reaches the command (a model name from a request, a host from a config) can append its own shell commands.
// fix: Pass an argument list without `shell=True` (`subprocess.run(["systemctl", "restart", name])`), or quote each value with `shlex.quote`. Constant commands are listed by shell-constant-command instead.
// message: {call} in {function|module code} runs a shell command built from run-time values
// param: include_copies = False
// column: path
// column: line
// column: call
// column: function
// location: path, line
// identity: path, function, call
MATCH (m:Module {snapshot: $snapshot})-[:HAS_RISKY_CALL]->(r:RiskyCall)
WHERE r.kind IN ['shell_true', 'os_system', 'os_popen'] AND r.dynamic
  AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, r.line AS line, r.detail AS call, r.function AS function
ORDER BY path, line, call, function
