"""Tandem leads service: Leads: capture, deduplication, scoring, assignment rules and conversion."""
