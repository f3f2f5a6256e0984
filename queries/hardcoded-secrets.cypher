// id: hardcoded-secrets
// title: Credentials written into the code
// severity: high
// category: security
// precision: high
// tags: security, CWE-798
// what: Finds a secret-named target (a name ending in password, passwd, pwd, secret, token, api_key, access_key, secret_key, private_key or credential) given a string literal that looks like a credential: assigned to a name (`DB_PASSWORD = "..."`), an attribute (`settings.api_key = ...`), a subscript with a literal key (`app.config["SECRET_KEY"] = ...`, `os.environ["DB_PASSWORD"] = ...`), or given as a dict entry (`{"password": ...}`) or a keyword argument (`Client(api_key=...)`), one row per site, with the target as written (`target`) and how (`written_as`). Not credentials: Enum members, values that are placeholders (`""`, `changeme`, `<token>`, `${VAR}`, a path to a key file), the target's own name or another secret word (`PASSWORD = "password"`), prose with spaces and environment variable names (`API_KEY = "OPENAI_API_KEY"`); tokenizer tokens (`eos_token`) are not secret names. Parameter defaults are Bandit's B107 (bandit-findings). The value is never stored or shown. Copies are left out unless $include_copies.
// why: A credential in the source is in every clone, backup and log of the repository and cannot be rotated without a release; an agent's API key or database password committed once stays readable in the history forever.
// fix: Read the credential from the environment or a secret store (`os.environ["DB_PASSWORD"]`, `settings.api_key = os.environ["API_KEY"]`) and rotate the one that was committed.
// message: {target} is given a hard-coded credential in {function|module code}
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: target
// column: written_as
// column: function
// location: path, line
// identity: path, target, function
MATCH (m:Module {snapshot: $snapshot})-[:HAS_HARDCODED_SECRET]->(s:HardcodedSecret)
WHERE $include_copies OR NOT m.is_copy
RETURN s.path AS path, s.line AS line, s.machine AS machine, s.target AS target, s.written_as AS written_as,
       s.function AS function
ORDER BY path, line, machine, target, written_as, function
