"""The fetcher: lands raw EODHD JSON in PostgreSQL; the database parses and decides."""
