"""Device roles the application uses, discovery, the registry binding config to drivers, health."""
