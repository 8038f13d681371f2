"""Reviewable data shipped as the package cnstat_etl.warehouse (see pyproject.toml); read via importlib.resources."""
