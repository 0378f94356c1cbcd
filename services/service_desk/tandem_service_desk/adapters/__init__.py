"""Where the service_desk service touches frameworks: database models, gRPC, nameko."""
