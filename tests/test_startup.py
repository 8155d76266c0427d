"""Start-up: settings from the environment, and one clear line for each mistake an operator
can make, never a traceback and never the token itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, load_settings
from tests.support import processes

ROOT = Path(__file__).resolve().parents[1]
GOOD_TOKEN = "123456789:" + "A" * 35


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Nothing listens at this Telegram: a run that got as far as Telegram fails fast, offline.
    # In tmp_path: no .env from the developer's checkout.
    settings = processes.bot_env(tmp_path, TELEGRAM_API_BASE="http://127.0.0.1:9", **env)
    return processes.run_bot(tmp_path, *args, env=settings, timeout=60)


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "11, 22;33")
    monkeypatch.setenv("WARD_NAME", "Bình An")
    settings = load_settings(_env_file=None)
    assert settings.admin_ids == [11, 22, 33]
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.default_locale == "vi"
    assert settings.database_url.startswith("sqlite+doithoai:///./data/")
    assert GOOD_TOKEN not in repr(settings)  # secrets print as asterisks


def test_every_setting_in_the_example_env_file_is_one_the_bot_reads():
    """A misspelt name in .env.example would be copied into wards' .env files and ignored."""
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = {
        line.lstrip("# ").split("=", 1)[0]
        for line in example.splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    assert {"BOT_TOKEN", "DELIVERY_LEASE", "WORKERS", "REDIS_URL"} <= names
    assert names <= {name.upper() for name in Settings.model_fields}


def test_malformed_token_is_named_but_not_printed(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", "12345-not-a-token")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert "BOT_TOKEN" in str(error.value)
    assert "12345-not-a-token" not in str(error.value)


@pytest.mark.subprocess
def test_help_lists_the_subcommands(tmp_path):
    result = run_bot(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("run", "migrate", "check"):
        assert command in result.stdout


@pytest.mark.subprocess
def test_malformed_token_stops_with_one_line(tmp_path):
    result = run_bot(tmp_path, BOT_TOKEN="abc")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Configuration error: BOT_TOKEN:")
    assert "Traceback" not in result.stderr


@pytest.mark.subprocess
def test_unreachable_database_stops_with_one_line(tmp_path):
    result = run_bot(
        tmp_path,
        "check",
        BOT_TOKEN=GOOD_TOKEN,
        DATABASE_URL="postgresql+asyncpg://nobody:secret@127.0.0.1:9/none",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("doithoai: Cannot use the database at DATABASE_URL=")
    assert "secret" not in result.stderr  # the password is masked


@pytest.mark.subprocess
def test_invalid_survey_file_stops_with_one_line(tmp_path):
    survey = tmp_path / "survey.yaml"
    survey.write_text("version: 1\nfields: []\nquestions: []\n", encoding="utf-8")
    result = run_bot(tmp_path, "check", SURVEY_FILE=str(survey))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("doithoai: Invalid SURVEY_FILE: survey file")


@pytest.mark.subprocess
def test_check_migrates_an_empty_database(tmp_path):
    result = run_bot(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bot.sqlite3").exists()


@pytest.mark.subprocess
def test_a_missing_ward_name_is_named_at_start_up(tmp_path):
    unnamed = run_bot(tmp_path, "check", WARD_NAME="")
    assert unnamed.returncode == 0, unnamed.stderr
    assert "WARD_NAME is not set" in unnamed.stderr
    named = run_bot(tmp_path, "check", WARD_NAME="Bình An")
    assert "WARD_NAME" not in named.stderr


@pytest.mark.subprocess
def test_unreachable_telegram_stops_with_one_line(tmp_path):
    result = run_bot(tmp_path, BOT_TOKEN=GOOD_TOKEN)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "doithoai: Cannot reach Telegram at http://127.0.0.1:9: check the network or "
        "TELEGRAM_API_BASE"
    )
    assert GOOD_TOKEN not in result.stderr + result.stdout
