"""The sales domain in plain Python (no I/O)."""
