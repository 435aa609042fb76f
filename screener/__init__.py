"""Operator and user tools over the screener database: pictures (chart, report), a terminal
status and saved screens. Not part of the fetcher image: `python -m screener --help`."""
