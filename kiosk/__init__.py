"""Bianmin (便民): the application — domain, station service, Qt screens and the
``bianmin`` command."""

__version__ = "0.1.0"
