"""Where the sales service touches frameworks: database models, gRPC, nameko."""
