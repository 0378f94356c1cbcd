"""Identity: users, roles, the manager hierarchy and tokens."""
