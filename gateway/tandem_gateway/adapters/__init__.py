"""Where the gateway touches its database and the services behind it."""
