"""Static analysis of large multi-agent ZeroMQ Python systems into a code graph."""

__version__ = "0.1.0"
