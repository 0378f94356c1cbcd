"""Where the leads service touches frameworks: database models, gRPC, nameko."""
