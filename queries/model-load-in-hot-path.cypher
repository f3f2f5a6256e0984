// id: model-load-in-hot-path
// title: Models loaded per request instead of once
// severity: medium
// category: performance
// precision: medium
// tags: performance, gpu
// what: Finds heavy model loads (`spacy.load`, `*.from_pretrained`, `SentenceTransformer(...)`, `whisper.load_model`, `torch.load`, `pipeline(...)`, ...) in functions other than module level, `__init__`, setup/load/init/warmup-named or cached functions; `in_handler` marks request handlers and routes, `loop_line` the loop the load runs in (0: none). Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Each call reads hundreds of megabytes from disk and may move them to the GPU: seconds of latency per request and memory that grows until the agent is killed.
// fix: Load the model once (in `__init__`, a startup hook or an `lru_cache`d loader) and keep it on the agent.
// message: {call} loads a model on every call of {function}
// param: include_copies = False
// column: path
// column: line
// column: call
// column: function
// column: in_handler
// column: loop_line
// location: path, line
// identity: path, function, call
MATCH (m:Module {snapshot: $snapshot})-[:HAS_MODEL_LOAD]->(l:ModelLoad)
WHERE NOT l.setup AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, l.line AS line, l.call AS call, l.function AS function, l.handler AS in_handler,
       l.loop_line AS loop_line
ORDER BY path, line, call, function, in_handler, loop_line
