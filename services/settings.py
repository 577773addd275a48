"""Validated settings from the environment, with generated local secrets as a fallback.

Precedence: environment variables, then `var/local.env` (written once by `tandem init-local`,
development only), then the defaults below. Production refuses default secrets and SQLite.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.proxies import Network, parse_networks

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
DEFAULT_VAR_DIR = REPO_ROOT / "var"
LOCAL_ENV_FILE = "local.env"

# Secrets that must be set explicitly in production; in development `tandem init-local`
# generates them into var/local.env.
SECRET_FIELDS = (
    "tandem_secret_key",
    "tandem_service_token",
    "tandem_phone_hash_key",
    "tandem_phone_encryption_keys",
    "twilio_auth_token",
    "rasa_token",
    "action_server_token",
)
PLACEHOLDER_ACCOUNT_SID = "AC00000000000000000000000000000000"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    tandem_env: Literal["development", "test", "production"] = "development"
    tandem_var_dir: Path = DEFAULT_VAR_DIR
    tandem_host: str = "127.0.0.1"
    tandem_port: int = Field(default=8080, ge=1, le=65535)
    # The URL Twilio calls, which is what it signs; a proxy in front may change host and scheme.
    tandem_public_url: str | None = None
    tandem_program_name: str = "Tandem"
    tandem_support_contact: str = "your case manager"
    tandem_message_frequency: str = "Msg frequency varies"
    # Proactive messages wait out quiet hours in the program's time zone.
    tandem_timezone: str = "America/New_York"
    tandem_quiet_hours: str = Field(default="21:00-08:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    # The name in the discreet stand-in ("Hi, it's T. Reply 1 if it's a good time to talk."),
    # sent instead of a check-in to a woman who asked for discreet texts: someone who sees her
    # phone should not learn what Tandem is from it.
    tandem_discreet_name: str = Field(default="T", min_length=1, max_length=20)
    # Per-sender flood guard: at most N inbound messages in a sliding window of S seconds.
    tandem_rate_limit_count: int = Field(default=30, ge=1)
    tandem_rate_limit_seconds: int = Field(default=60, ge=1)
    # How often the background worker replays missed messages and sends due ones (0: off).
    tandem_worker_interval_seconds: float = Field(default=5.0, ge=0)
    # Message log retention for `tandem purge`.
    tandem_message_retention_days: int = Field(default=365, ge=1)
    # Staff dashboard: lockout after N wrong passwords in a row, a per-IP limit on wrong
    # logins, session timeouts, and Secure cookies (default: on unless the public URL is
    # plain http outside production).
    tandem_login_max_failures: int = Field(default=5, ge=1)
    tandem_login_lockout_minutes: float = Field(default=15, gt=0)
    tandem_login_ip_limit_count: int = Field(default=20, ge=1)
    tandem_login_ip_limit_seconds: int = Field(default=900, ge=1)
    tandem_session_idle_minutes: float = Field(default=30, gt=0)
    tandem_session_max_hours: float = Field(default=12, gt=0)
    tandem_secure_cookies: bool | None = None
    # The proxies whose X-Forwarded-For and X-Forwarded-Proto count (services/forwarded.py):
    # comma-separated addresses or CIDR blocks; empty trusts none, so the headers are ignored.
    tandem_trusted_proxies: str = ""
    # The case manager's queue: a referral this long in one status is "waiting too long"; a
    # woman who has not texted for this long is listed for a check-in.
    tandem_queue_stale_referral_days: float = Field(default=2, gt=0)
    tandem_queue_quiet_client_days: float = Field(default=14, gt=0)

    database_url: str | None = None
    rasa_tracker_store_url: str | None = None
    redis_url: str | None = None

    # The first Rasa process; with TANDEM_RASA_WORKERS=N the others listen on the next N-1 ports
    # of the same host. They share the tracker store and (REDIS_URL) the lock store, so any of
    # them can take any turn.
    rasa_url: str = "http://127.0.0.1:5005"
    tandem_rasa_workers: int = Field(default=1, ge=1, le=32)
    # Action-server processes, all on ACTION_SERVER_URL's port (SO_REUSEPORT: see
    # bot/action_server.py), since Rasa's endpoints name one action server URL.
    tandem_action_workers: int = Field(default=1, ge=1, le=32)
    # Under Twilio's 15 s webhook limit with room for the fallback reply.
    rasa_timeout_seconds: float = Field(default=8.0, gt=0, le=12)
    # A crisis (or a possible one) waits on the bot at most this long before the gateway's own
    # crisis reply goes out; the bot's fuller answer follows by SMS when its turn finishes.
    rasa_crisis_timeout_seconds: float = Field(default=2.0, gt=0, le=12)
    action_server_url: str = "http://127.0.0.1:5055"
    tandem_api_url: str | None = None

    tandem_secret_key: str = ""
    tandem_service_token: str = ""
    tandem_phone_hash_key: str = ""
    # Comma-separated Fernet keys: the first encrypts, all decrypt (rotation).
    tandem_phone_encryption_keys: str = ""
    rasa_token: str = ""
    # Rasa sends it to the action server on every call (bot/endpoints.yml); the action server
    # refuses calls without it.
    action_server_token: str = ""
    # The HMAC key of the research export's ids (`tandem export-research`); only that command
    # needs it, and refuses to run without one.
    tandem_research_key: str = ""

    twilio_account_sid: str = PLACEHOLDER_ACCOUNT_SID
    twilio_auth_token: str = ""
    twilio_from_number: str = "+14135550199"
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None

    @field_validator("tandem_trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)  # a bad entry stops Tandem at start, named
        return value

    @model_validator(mode="after")
    def _several_rasa_processes_share_a_lock_store(self) -> Settings:
        if self.tandem_rasa_workers > 1 and not self.redis_url:
            # Two processes with in-memory locks could run two of her turns at once.
            raise ValueError("TANDEM_RASA_WORKERS > 1 needs REDIS_URL (Rasa's shared lock store)")
        return self

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.tandem_env != "production":
            return self
        missing = [name.upper() for name in SECRET_FIELDS if len(getattr(self, name)) < 16]
        if missing:
            raise ValueError(
                "production needs real secrets (16+ characters) for: " + ", ".join(missing)
            )
        if self.effective_database_url.startswith("sqlite"):
            raise ValueError("production needs DATABASE_URL pointing at PostgreSQL, not SQLite")
        if (self.rasa_tracker_store_url or "sqlite").startswith("sqlite"):
            raise ValueError("production needs RASA_TRACKER_STORE_URL pointing at PostgreSQL")
        if not self.tandem_public_url:
            raise ValueError("production needs TANDEM_PUBLIC_URL (the URL Twilio calls)")
        if not self.redis_url:
            raise ValueError("production needs REDIS_URL (Rasa's lock store)")
        if self.twilio_account_sid == PLACEHOLDER_ACCOUNT_SID:
            raise ValueError("production needs TWILIO_ACCOUNT_SID (the placeholder is set)")
        if self.tandem_secure_cookies is False:
            raise ValueError("production sends staff session cookies Secure only")
        return self

    @cached_property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.tandem_var_dir / 'tandem.db'}"

    @property
    def effective_tracker_store_url(self) -> str:
        return self.rasa_tracker_store_url or f"sqlite:///{self.tandem_var_dir / 'rasa_tracker.db'}"

    @property
    def trusted_proxies(self) -> tuple[Network, ...]:
        return parse_networks(self.tandem_trusted_proxies)

    @property
    def public_url(self) -> str:
        return (self.tandem_public_url or f"http://{self.tandem_host}:{self.tandem_port}").rstrip(
            "/"
        )

    @property
    def secure_cookies(self) -> bool:
        """Staff session cookies only over HTTPS: always in production, else as set, else
        when the public URL is https."""
        if self.tandem_env == "production":
            return True
        if self.tandem_secure_cookies is not None:
            return self.tandem_secure_cookies
        return self.public_url.startswith("https://")

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa process, in port order (TANDEM_RASA_WORKERS of them from RASA_URL's)."""
        first = urlsplit(self.rasa_url.rstrip("/"))
        host = first.hostname or "127.0.0.1"
        host = f"[{host}]" if ":" in host else host  # IPv6
        base = first.port or 5005
        return [
            f"{first.scheme}://{host}:{base + i}{first.path}"
            for i in range(self.tandem_rasa_workers)
        ]

    @property
    def local_url(self) -> str:
        return f"http://{self.tandem_host}:{self.tandem_port}"

    @property
    def api_url(self) -> str:
        return (self.tandem_api_url or self.local_url).rstrip("/")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, falling back to var/local.env outside production."""
    probe = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    if probe.tandem_env == "production":
        return probe
    env_file = probe.tandem_var_dir / LOCAL_ENV_FILE
    return Settings(_env_file=env_file if env_file.exists() else None, **overrides)  # type: ignore[call-arg]
