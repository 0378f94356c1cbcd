"""What the sales service does, over a SQLAlchemy session inside the caller's
transaction (conversion alone takes the session factory: it retries once on a
concurrent conversion of the same lead). Each change writes its rows and then its
events (`record_event` holds the outbox lock until commit); `validate_only` checks
and writes nothing; a failure leaves everything as it was.
"""
