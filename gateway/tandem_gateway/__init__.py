"""Tandem gateway."""
