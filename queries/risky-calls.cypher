// id: risky-calls
// title: Shell commands and hard-coded credentials
// severity: high
// category: security
// precision: medium
// tags: security
// what: Finds `subprocess` calls with `shell=True`, `os.system` and `os.popen` (`kind` shell_true, os_system, os_popen; `dynamic` when the command is built at run time rather than a fixed string), and credentials written into the code (`kind` hardcoded_secret: a literal assigned to a name like `password`, `api_key` or `token`, or passed as such a keyword). `detail` is the call or the credential's name, never its value.
// why: A shell command assembled from a message, a file name or a config value lets whoever controls that text run commands on the machine; agents that take requests over ZeroMQ are exactly such inputs. A credential in the source is in every clone, backup and log of the repository and cannot be rotated without a release.
// fix: Call `subprocess.run([...])` with an argument list and no shell (`shlex.quote` only where a shell is unavoidable); read credentials from the environment or a secret store (`os.environ["DB_PASSWORD"]`) and rotate any that were committed.
// message: {kind} call {detail} in {function|module code}
// column: path
// column: line
// column: machine
// column: kind
// column: detail
// column: dynamic
// column: function
// location: path, line
// identity: path, kind, detail, function
MATCH (m:Module {snapshot: $snapshot})-[:HAS_RISKY_CALL]->(r:RiskyCall)
RETURN r.path AS path, r.line AS line, r.machine AS machine, r.kind AS kind, r.detail AS detail, r.dynamic AS dynamic,
       r.function AS function
ORDER BY path, line, kind, detail, machine, dynamic, function
