"""Settings from the environment or a git-ignored `.env` file.

Built once in `bot.__main__` (or by tests) and passed down; nothing reads the environment at import.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+doithoai:///./data/doithoai.sqlite3"
# The form @BotFather hands out: the bot's numeric id, a colon, 35 url-safe characters.
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
# Zalo's tokens are "<digits>:<secret>" too; the secret's alphabet is not documented.
ZALO_TOKEN_PATTERN = re.compile(r"^\d+:\S{8,}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base: str | None = None
    ward_name: str = ""
    # Who signs the conference report for the People's Committee (Nghị định 30/2020): the
    # title under "TM. ỦY BAN NHÂN DÂN" ("|" starts a new line, e.g. "KT. CHỦ TỊCH|PHÓ CHỦ
    # TỊCH"; empty: "CHỦ TỊCH") and the full name printed under the space for the signature.
    signer_title: str = ""
    signer_name: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    default_locale: Literal["vi", "en"] = "vi"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    survey_file: Path | None = None
    retention_months: int = Field(default=24, ge=1, le=120)
    notice_version: str = "2026-01"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for collectors
    # Whether "Bình thường" (3 of 5) counts as satisfied in the figures (domain.md §2.4: by
    # default it does not, as SIPAS publishes the share of 4–5).
    neutral_satisfied: bool = False
    # Where complaints and denunciations go instead (shown in the redirect message).
    citizen_reception: str = ""  # address and reception hours of the ward's citizen reception
    police_phone: str = ""  # the ward police's phone number

    # Zalo Bot Platform (zalo.md): polling by default; a webhook when ZALO_WEBHOOK_URL is set.
    zalo_bot_token: SecretStr | None = None
    zalo_api_base: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = None
    # Reminders before each session (days d, hours h, minutes m), the officials' morning
    # digest (ward time), and the months the ward holds its sessions (drafted ahead).
    reminder_offsets: str = "7d,1d,2h"
    digest_time: str = "07:30"
    session_months: str = "6,11"
    # The delivery engine: messages per second per channel (Telegram allows about 30 to
    # different chats; Zalo publishes no limit, so a cautious default), the pause between two
    # messages to one chat, and attempts before a delivery is recorded as failed.
    telegram_rate: float = Field(default=25.0, gt=0, le=1000)
    zalo_rate: float = Field(default=5.0, gt=0, le=1000)
    # Processes sharing those rates: each sends at rate / workers. `--workers N` sets it for
    # its workers; N instances behind a reverse proxy each need WORKERS=N.
    workers: int = Field(default=1, ge=1, le=64)
    per_chat_interval: float = Field(default=1.0, ge=0, le=60)
    delivery_attempts: int = Field(default=5, ge=1, le=20)
    # Seconds a worker's claim on the messages it is sending lasts: how long the messages of a
    # worker that died (killed, power cut) wait before another worker sends them. A shorter
    # lease also gives each request less time (a third of the lease, at least); 10 s still
    # leaves a request over 3 s.
    delivery_lease: float = Field(default=90.0, ge=10, le=3600)

    # Telegram by webhook instead of polling: the public https:// address of this server (a
    # reverse proxy with TLS in front) and the secret Telegram sends back with every update.
    webhook_base_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Conversation state in Redis, so several workers can continue any resident's dialog.
    redis_url: str | None = None

    # Where the web server listens (webhooks); a reverse proxy adds TLS in front of it.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    # The address residents and staff reach the web chat and console at (printed, on the
    # poster and in sign-in links); by default http://WEB_HOST:WEB_PORT.
    web_public_url: str | None = None
    # A console session unused this long ends; sign in again.
    web_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)

    @field_validator(
        "bot_token",
        "zalo_bot_token",
        "zalo_webhook_url",
        "zalo_webhook_secret",
        "webhook_base_url",
        "webhook_secret",
        "redis_url",
        "web_public_url",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            # The message never repeats the value: it is a secret even when malformed.
            raise ValueError("does not look like a token from @BotFather (digits:letters)")
        return value

    @field_validator("zalo_bot_token")
    @classmethod
    def _zalo_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not ZALO_TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a token from Zalo Bot Creator (digits:secret)")
        return value

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("must be 8 to 256 characters")
        return value

    @field_validator("zalo_webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be a public https:// address")
        return value

    @field_validator("webhook_base_url")
    @classmethod
    def _https_base(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must be a public https:// address (Telegram refuses http)")
        return value.rstrip("/") if value else value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters, letters, digits, _ and -.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()
        ):
            raise ValueError("must be 16 to 256 letters, digits, _ or -")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.zalo_webhook_url and not self.zalo_webhook_secret:
            raise ValueError("ZALO_WEBHOOK_SECRET must be set with ZALO_WEBHOOK_URL")
        if self.webhook_base_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET must be set with WEBHOOK_BASE_URL")
        return self

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [p for p in parts if p]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Ho_Chi_Minh") from None
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def public_url(self) -> str:
        """Where the web console and chat are reached, without a trailing slash."""
        if self.web_public_url:
            return self.web_public_url.rstrip("/")
        return f"http://{self.web_host}:{self.web_port}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.bot_token.get_secret_value().strip() if self.bot_token else None

    @property
    def telegram_secret(self) -> str | None:
        return self.webhook_secret.get_secret_value() if self.webhook_secret else None

    @property
    def zalo_token(self) -> str | None:
        return self.zalo_bot_token.get_secret_value().strip() if self.zalo_bot_token else None


class ConfigError(Exception):
    """A setting the operator must fix; the message is one line, printed without a traceback."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["loc"]:
                message = f"{str(error['loc'][0]).upper()}: {message}"
            problems.append(message)
        raise ConfigError("Configuration error: " + "; ".join(problems)) from None
