"""Where the notify service touches frameworks: database models, gRPC, nameko."""
