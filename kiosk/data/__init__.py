"""Data files shipped with the application (sample catalogue)."""
