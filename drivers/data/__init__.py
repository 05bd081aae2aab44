"""Code tables the drivers load as data (TOML), read with importlib.resources."""
