"""What the forecast service answers and records, over a SQLAlchemy session inside the
caller's transaction; a failure leaves everything as it was."""
