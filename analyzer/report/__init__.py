"""Reports people read: the agent inventory, the ZeroMQ topology diagram, the TODO export, the discovery report.

Reports read the graph store only, through Cypher: the library's queries
(analyzer/findings.py) for findings, and the descriptive reads in
`reads.py` for inventory and topology data. They never reach back to files,
except git for last-modified dates and blame.
"""
