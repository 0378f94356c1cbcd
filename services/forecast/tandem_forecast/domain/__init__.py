"""The forecast domain in plain Python (no I/O)."""
