// id: heavy-dependencies
// title: Modules importing heavyweight packages
// severity: info
// category: structure
// precision: high
// tags: performance
// what: Lists, machine by machine, every non-test module that imports one of $packages (deep-learning, vision and speech frameworks; top-level import names such as `cv2` for OpenCV), with the line of its first import, `lazy` when every such import sits inside a function (a module-level import inside `try` still loads the package at import time), and `dependent_agents`: how many agents load it through this module, directly or through other modules. `machine` is the root the module lies under (empty for a shared folder outside the configured machine roots, e.g. `common/`). Copies (docs/copies.md) are left out unless $include_copies.
// why: Each of these packages costs seconds of start-up and hundreds of megabytes to gigabytes of memory in every agent process that imports it, often initialises CUDA, and pins a large version set per machine; a utility module importing torch at the top drags it into every agent that only wanted a helper.
// fix: Import heavy packages only in the agents that run models, inside the function that needs them (lazy), or behind one model-serving agent the others call over ZeroMQ; keep shared utility modules free of them.
// message: {path} imports {package}
// kind: report
// param: packages = ['torch', 'torchvision', 'torchaudio', 'transformers', 'diffusers', 'accelerate', 'bitsandbytes', 'xformers', 'sentence_transformers', 'insightface', 'mediapipe', 'tensorflow', 'keras', 'jax', 'onnxruntime', 'tensorrt', 'whisper', 'faster_whisper', 'TTS', 'spacy', 'cv2', 'ultralytics', 'llama_cpp', 'vllm', 'nemo', 'pyannote']
// param: include_copies = False
// column: machine
// column: package
// column: path
// column: line
// column: lazy
// column: dependent_agents
// location: path, line
// identity: package, path
MATCH (m:Module {snapshot: $snapshot})-[r:IMPORTS_PACKAGE]->(p:Package)
WHERE p.name IN $packages AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
RETURN m.machine AS machine, p.name AS package, m.path AS path, r.line AS line, r.lazy AS lazy,
       m.dependent_agents AS dependent_agents
ORDER BY machine, package, path, line, lazy, dependent_agents
