// id: shell-constant-command
// title: Constant commands run through a shell
// severity: low
// category: security
// precision: high
// tags: security, CWE-78
// what: Finds `subprocess` calls with `shell=True`, `os.system` and `os.popen` whose command is a literal string: no injection today, but a shell is started for nothing and the next edit that formats a value into the command makes it one (shell-injection). Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A shell is started for nothing, and the next edit that formats a value into the command turns it into an injection.
// fix: Pass an argument list without `shell=True` (`subprocess.run(["nvidia-smi"])`).
// message: {call} in {function|module code} starts a shell for a constant command
// param: include_copies = False
// column: path
// column: line
// column: call
// column: function
// location: path, line
// identity: path, function, call
MATCH (m:Module {snapshot: $snapshot})-[:HAS_RISKY_CALL]->(r:RiskyCall)
WHERE r.kind IN ['shell_true', 'os_system', 'os_popen'] AND NOT r.dynamic
  AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, r.line AS line, r.detail AS call, r.function AS function
ORDER BY path, line, call, function
