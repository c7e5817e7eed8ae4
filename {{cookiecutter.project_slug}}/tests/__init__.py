"""The project's tests: consumers through the whole stack, pages, settings."""
