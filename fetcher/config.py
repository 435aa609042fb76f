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
    def from_env(cls, env: dict[str, str] | None = None, *, need_token: bool = False) -> Config:
        env = dict(os.environ if env is None else env)
        database_url = env.get("DATABASE_URL", "")
        if not database_url:
            raise ConfigError("DATABASE_URL is not set: point it at the screener database")
        token = env.get("EODHD_API_TOKEN", "")
        if need_token and not token:
            raise ConfigError("EODHD_API_TOKEN is not set")
        limit = _env_positive_int(env, "EODHD_RATE_LIMIT", 1000)
        share = _env_positive_int(env, "EODHD_RATE_SHARE", 1)
        attempts = _env_positive_int(env, "EODHD_RETRY_ATTEMPTS", 6)
        backoff = _env_seconds(env, "EODHD_RETRY_BACKOFF", 0.5, low=0.0, high=30.0, low_open=False)
        read_timeout = _env_seconds(env, "EODHD_READ_TIMEOUT", 60.0, low=0.0, high=600.0, low_open=True)
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


def _env_positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _env_seconds(env: dict[str, str], name: str, default: float, *, low: float, high: float, low_open: bool) -> float:
    """A number of seconds in [low, high] ((low, high] when low_open)."""
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not ((low < value) if low_open else (low <= value)) or not value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g} seconds, got {value}")
    return value


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
