"""The service desk's rules in plain Python (no I/O): `common` (who may do what, how a
request is refused), `sla` (due times, breaches, escalation), `cases`, `referrals`."""
