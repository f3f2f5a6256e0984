// id: import-contracts
// title: Imports that break a declared import contract
// severity: medium
// category: structure
// precision: very-high
// tags: maintainability, architecture
// what: Lists every import chain that breaks a contract declared in `[tool.analyzer.contracts]` of the scanned repository: a layer importing a layer above it, a module importing what a `forbidden` contract forbids it, or one module of an `independence` contract importing another (docs/contracts.md). Imports count directly and through other modules unless the contract sets `allow_indirect`; `chain` is the shortest chain (`module:line -> ... -> target`), and a chain stops at the first module it may not reach. Copies (docs/copies.md) are left out unless `include_copies` is true. Returns nothing when no contract is declared.
// why: Agents that import each other start and fail together: a change to one agent breaks the agents that import it, and the import pulls the other agent's dependencies (models, sockets, GPU state) into every process. A contract written down is a boundary CI can hold while the code is refactored towards it.
// fix: Move what both sides need into the shared layer (e.g. `common/`), pass it in, or talk over the agent's socket instead of importing it; where the contract is wrong, change the contract.
// message: {source} reaches {target} against contract "{contract}": {chain}
// param: include_copies = False
// column: path
// column: line
// column: contract
// column: kind
// column: source
// column: target
// column: chain
// column: hops
// location: path, line
// identity: contract, source, target
MATCH (v:ContractViolation {snapshot: $snapshot})
MATCH (m:Module {snapshot: $snapshot, path: v.path})
WHERE $include_copies OR NOT m.is_copy
RETURN v.path AS path, v.line AS line, v.contract AS contract, v.kind AS kind, v.source AS source,
       v.target AS target, v.chain AS chain, v.hops AS hops
ORDER BY contract, source, target, path, line, kind, chain, hops
