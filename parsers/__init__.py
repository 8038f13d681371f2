"""Reviewable data shipped as the package cnstat_etl.parsers (see pyproject.toml); read via importlib.resources."""
