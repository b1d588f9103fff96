"""Conformance of the emulator against traffic recorded on real Google Cloud.

The corpus (`kcc-golden/`) is Config Connector's resource-fixture logs; each log is replayed
against a fresh emulator and every answer is scored against the real one (see `score`).
"""
