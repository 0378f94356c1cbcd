"""Where the forecast service touches frameworks: database models, gRPC, nameko."""
