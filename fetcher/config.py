"""Configuration from the environment, in one place.

DATABASE_URL       PostgreSQL connection URL (required for anything touching the database)
EODHD_API_TOKEN    EODHD API token (never logged, never stored)
EODHD_BASE_URL     API base URL (default https://eodhd.com/api; tests use the local server)
EODHD_RATE_LIMIT   the provider's requests per minute for the token (default 1000)
EODHD_RATE_SHARE   how many fetcher processes share that limit at once (default 1): each
                   process sends at most limit / share requests a minute (`run --rate-share`)
EODHD_RETRY_ATTEMPTS  attempts per request on a transient error (429, 5xx, timeout; default 6)
EODHD_RETRY_BACKOFF   first retry wait in seconds, doubled per attempt up to 30 s, jittered
                   (default 0.5)
EODHD_READ_TIMEOUT    seconds to wait for an answer once a request is sent (default 60); a
                   request that times out is charged in the ledger (the provider may have
                   served it)
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASE_URL = "https://eodhd.com/api"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TICKERS_DIR = PROJECT_ROOT / "config" / "tickers"


class ConfigError(Exception):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Config:
    database_url: str
    api_token: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    rate_limit_per_minute: int = 1000
    rate_share: int = 1
    retry_attempts: int = 6
    retry_backoff: float = 0.5
    read_timeout: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, need_token: bool = False) -> "Config":
        env = dict(os.environ if env is None else env)
        database_url = env.get("DATABASE_URL", "")
        if not database_url:
            raise ConfigError("DATABASE_URL is not set: point it at the screener database")
        token = env.get("EODHD_API_TOKEN", "")
        if need_token and not token:
            raise ConfigError("EODHD_API_TOKEN is not set")
        raw_limit = env.get("EODHD_RATE_LIMIT", "1000")
        try:
            limit = int(raw_limit)
        except ValueError:
            raise ConfigError(f"EODHD_RATE_LIMIT must be an integer, got {raw_limit!r}") from None
        if limit <= 0:
            raise ConfigError(f"EODHD_RATE_LIMIT must be positive, got {limit}")
        raw_share = env.get("EODHD_RATE_SHARE", "1")
        try:
            share = int(raw_share)
        except ValueError:
            raise ConfigError(f"EODHD_RATE_SHARE must be an integer, got {raw_share!r}") from None
        if share <= 0:
            raise ConfigError(f"EODHD_RATE_SHARE must be positive, got {share}")
        raw_attempts = env.get("EODHD_RETRY_ATTEMPTS", "6")
        try:
            attempts = int(raw_attempts)
        except ValueError:
            raise ConfigError(f"EODHD_RETRY_ATTEMPTS must be an integer, got {raw_attempts!r}") from None
        if attempts <= 0:
            raise ConfigError(f"EODHD_RETRY_ATTEMPTS must be positive, got {attempts}")
        raw_backoff = env.get("EODHD_RETRY_BACKOFF", "0.5")
        try:
            backoff = float(raw_backoff)
        except ValueError:
            raise ConfigError(f"EODHD_RETRY_BACKOFF must be a number of seconds, got {raw_backoff!r}") from None
        if not 0 <= backoff <= 30:
            raise ConfigError(f"EODHD_RETRY_BACKOFF must be between 0 and 30 seconds, got {backoff}")
        raw_timeout = env.get("EODHD_READ_TIMEOUT", "60")
        try:
            read_timeout = float(raw_timeout)
        except ValueError:
            raise ConfigError(f"EODHD_READ_TIMEOUT must be a number of seconds, got {raw_timeout!r}") from None
        if not 0 < read_timeout <= 600:
            raise ConfigError(f"EODHD_READ_TIMEOUT must be between 0 and 600 seconds, got {read_timeout}")
        return cls(
            database_url=database_url,
            api_token=token,
            base_url=env.get("EODHD_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
            rate_limit_per_minute=limit,
            rate_share=share,
            retry_attempts=attempts,
            retry_backoff=backoff,
            read_timeout=read_timeout,
        )


_SECRET_PARAM = re.compile(r"(api_token=)[^&\s'\"]+", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@", re.IGNORECASE)


def redact(text: str, *secrets: str) -> str:
    """Remove tokens and passwords from a text meant for a log line or an exception."""
    text = _SECRET_PARAM.sub(r"\1***", text)
    text = _URL_PASSWORD.sub(r"\1***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
