"""The ``ostium`` command as an operator runs it: exit codes, messages, what reaches the server."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from ostium import __version__
from ostium.cli import COMMANDS, main
from ostium.config import Config, help_text, unsupported


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the developer's OSTIUM_* variables nor a conf/ in the checkout may leak in."""
    for name in list(os.environ):
        if name.startswith("OSTIUM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Config, str]]:
    """Stand in for ``ostium.server`` and record what the CLI hands to ``serve``."""
    calls: list[tuple[Config, str]] = []

    def serve(config: Config, mode: str) -> int:
        calls.append((config, mode))
        return 0

    fake: Any = types.ModuleType("ostium.server")
    fake.serve = serve
    monkeypatch.setitem(sys.modules, "ostium.server", fake)
    return calls


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("Usage: ostium <command> [OPTIONS]")
    for name in COMMANDS:
        assert f"  {name} " in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0

    assert capsys.readouterr().out == f"Ostium {__version__}\n"


def test_no_command_prints_usage_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2

    assert capsys.readouterr().err.startswith("Usage: ostium <command>")


def test_an_unknown_command_prints_usage_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strat", "--http-port=1"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("ERROR: Unknown command: 'strat' (did you mean 'start'?)\n")
    assert "Usage: ostium <command>" in err


@pytest.mark.parametrize(("command", "mode"), [("start", "prod"), ("start-dev", "dev")])
def test_start_help_prints_every_option(
    command: str, mode: str, capsys: pytest.CaptureFixture[str], served: list[Any]
) -> None:
    assert main([command, "--http-port=1", "--help"]) == 0

    assert capsys.readouterr().out == help_text("dev" if mode == "dev" else "prod")
    assert served == []


def test_start_without_a_hostname_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], served: list[Any]
) -> None:
    assert main(["start", "--http-enabled=true"]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "ERROR: Missing option '--hostname': production mode builds issuer URLs and redirects"
        " from it; set --hostname=<host> or --hostname-strict=false\n"
    )
    assert served == []


def test_start_over_plain_http_without_a_proxy_exits_2(
    capsys: pytest.CaptureFixture[str], served: list[Any]
) -> None:
    assert main(["start", "--hostname=auth.example.com"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("ERROR: Missing option '--https-certificate-file'")
    assert err.count("\n") == 1
    assert served == []


def test_a_bad_value_exits_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], served: list[Any]
) -> None:
    assert main(["start-dev", "--http-port=abc"]) == 2

    assert capsys.readouterr().err == (
        "ERROR: Invalid value for option '--http-port': 'abc' is not an integer\n"
    )
    assert served == []


def test_a_bad_database_setting_stops_before_the_server(
    capsys: pytest.CaptureFixture[str], served: list[Any]
) -> None:
    assert main(["start-dev", "--db=postgres"]) == 2

    assert capsys.readouterr().err == (
        "ERROR: Missing option '--db-url': --db=postgres needs --db-url or --db-url-host\n"
    )
    assert served == []


def test_start_serves_the_resolved_config_in_production_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: list[tuple[Config, str]]
) -> None:
    monkeypatch.setenv("OSTIUM_HTTP_PORT", "9090")

    assert main(["start", "--hostname", "auth.example.com", "--http-enabled=true"]) == 0

    [(config, mode)] = served
    assert mode == "prod"
    assert config.hostname == "auth.example.com"
    assert config.http_port == 9090
    assert config.data_dir == tmp_path / "data"


def test_start_dev_needs_no_options(served: list[tuple[Config, str]]) -> None:
    assert main(["start-dev"]) == 0

    [(config, mode)] = served
    assert mode == "dev"
    assert config.http_enabled is True
    assert config.hostname is None


def test_the_exit_status_of_the_server_is_returned(
    monkeypatch: pytest.MonkeyPatch, served: list[Any]
) -> None:
    monkeypatch.setattr(sys.modules["ostium.server"], "serve", lambda config, mode: 1)

    assert main(["start-dev"]) == 1


def test_show_config_masks_secrets_and_shows_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "ostium.conf").write_text("hostname=auth.example.com\n", encoding="utf-8")
    monkeypatch.setenv("OSTIUM_HTTP_PORT", "9090")
    monkeypatch.setenv("OSTIUM_BOOTSTRAP_ADMIN_PASSWORD", "letmein")

    status = main(
        [
            "show-config",
            "--db=postgres",
            "--db-url=postgresql://kc:urlsecret@db/kc",
            "--db-password",
            "hunter2",
        ]
    )

    out = capsys.readouterr().out
    assert status == 0
    for secret in ("letmein", "urlsecret", "hunter2"):
        assert secret not in out
    lines = out.splitlines()
    assert lines[0] == "Current Mode: production (ostium start)"
    assert "Database URL: postgresql+asyncpg://kc:*******@db/kc" in lines
    assert _line(lines, "db-password") == "= *******  (cli)"
    assert _line(lines, "bootstrap-admin-password") == "= *******  (env)"
    assert _line(lines, "db") == "= postgres  (cli)"
    assert _line(lines, "http-port") == "= 9090  (env)"
    assert _line(lines, "hostname") == "= auth.example.com  (conf file)"
    assert _line(lines, "cache") == "= local  (default)"
    assert _line(lines, "db-username") == "= <unset>  (default)"


def _line(lines: list[str], name: str) -> str:
    [line] = [line for line in lines if line.split(" = ")[0].strip() == name]
    return "= " + line.split(" = ", 1)[1]


def test_show_config_reports_a_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show-config", "--db=mysql"]) == 2

    assert capsys.readouterr().err == (
        "ERROR: Invalid value for option '--db': 'mysql'; expected one of: sqlite, postgres\n"
    )


def _console_script() -> Path:
    script = Path(sys.executable).with_name("ostium")
    assert script.exists(), "the ostium console script is installed with `pip install -e .`"
    return script


def test_the_installed_console_script_prints_help() -> None:
    result = subprocess.run(
        [_console_script(), "--help"], capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode == 0
    assert result.stdout.startswith("Usage: ostium <command> [OPTIONS]")
    assert result.stderr == ""


def test_help_does_not_import_the_web_stack(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from ostium.cli import main\n"
        "assert main(['start', '--help']) == 0\n"
        "assert main(['show-config']) == 0\n"
        "loaded = [m for m in ('ostium.server', 'starlette', 'uvicorn', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode == 0, result.stderr


def test_start_optimized_is_keycloaks_command_flag(
    capsys: pytest.CaptureFixture[str], served: list[tuple[Config, str]]
) -> None:
    """Keycloak's `start --optimized` runs unchanged; it is no option of start-dev, the
    environment or the conf file, since Ostium has no build step to skip."""
    assert main(["start-dev", "--optimized"]) == 2
    assert capsys.readouterr().err == "ERROR: Unknown option: '--optimized'\n"

    status = main(["start", "--optimized", "--hostname=id.example.com", "--http-enabled=true"])

    assert status == 0
    assert [(config.hostname, mode) for config, mode in served] == [("id.example.com", "prod")]


def test_an_option_not_supported_yet_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    served: list[tuple[Config, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(unsupported, "NOT_SUPPORTED_YET", {"hostname-debug": "leave it off"})
    assert main(["start-dev", "--hostname-debug=true"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("ERROR: --hostname-debug=true is not supported yet")
    assert err.count("\n") == 1
    assert served == []
