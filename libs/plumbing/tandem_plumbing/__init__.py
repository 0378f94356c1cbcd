"""Tandem's shared plumbing. No domain logic lives here: only the mechanics every
service needs (settings, databases, events, outbox/inbox, parking, gRPC)."""
