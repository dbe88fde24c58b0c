"""``make test-matrix``: the integration smoke on each supported ansible-core release (see smoke.py)."""
