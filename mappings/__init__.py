"""Reviewable data shipped as the package cnstat_etl.mappings (see pyproject.toml); read via importlib.resources."""
