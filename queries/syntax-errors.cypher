// id: syntax-errors
// title: Python files that do not parse
// severity: high
// category: structure
// precision: very-high
// tags: reliability
// what: Finds every Python file that CPython cannot parse, at CPython's own line with CPython's own message (`Missing parentheses in call to 'print'`, `expected ':'`, `'(' was never closed`): a syntax or indentation error, a null byte in the source, bytes that are not valid in the file's encoding, or an unknown `# coding:` cookie (`error` says which). Files skipped for their size, and files only the analyzer's parser cannot read (`UnsupportedSyntax`, `RecursionError`), are not listed: Python runs them. Copies are left out unless $include_copies.
// why: Importing or starting the file fails with a SyntaxError: the agent does not start, and every module that imports it fails too. Nothing else the analyzer reports about the file exists either (its imports, sockets and except clauses are unknown), so one broken file hides its whole part of the graph; only its comments before the error are read (its TODOs count).
// fix: Fix the line (`python -m py_compile <path>` shows the same message); a Python 2 file (`print 'x'`) needs porting or deleting.
// message: Python cannot parse {path}: {message} (line {line})
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: error
// column: message
// location: path, line
// identity: path, error
MATCH (m:Module {snapshot: $snapshot})
WHERE m.parse_error IN ['SyntaxError', 'NullBytes', 'UnicodeDecodeError', 'UnknownEncoding']
  AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, m.parse_error_line AS line, m.machine AS machine, m.parse_error AS error,
       m.parse_error_message AS message
ORDER BY path, line, machine, error, message
