"""`ostium keys rotate`: its options and one-line errors (the process-level run is in
tests/e2e/test_keys_cli.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from ostium.cli import main
from ostium.services.realm_setup import new_realm, write_bundle
from ostium.storage.sql import open_storage


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("OSTIUM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


async def _database_with_realm(data_dir: Path) -> None:
    storage = await open_storage(f"sqlite+aiosqlite:///{data_dir / 'ostium.db'}")
    try:
        async with storage.transaction() as repos:
            await write_bundle(repos, new_realm("test", 1000))
    finally:
        await storage.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rotate"], "Missing option '--realm'"),
        (["rotate", "--realm", "test", "--grace-period", "soon"], "'--grace-period'"),
        (["rotate", "--realm", "test", "--grace-period=-5"], "'--grace-period'"),
        (["rotate", "--realm"], "'--realm' needs a value"),
        (["spin"], "Unknown keys command"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ERROR: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_help_and_a_bare_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "rotate", "--help"]) == 0
    assert "--grace-period" in capsys.readouterr().out
    assert main(["keys"]) == 2
    assert "Usage: ostium keys rotate" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "keys" in capsys.readouterr().out


def test_rotation_on_the_configured_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_database_with_realm(tmp_path))
    assert (
        main(
            ["keys", "rotate", "--realm", "test", "--algorithm", "EdDSA", f"--data-dir={tmp_path}"]
        )
        == 2
    )
    assert "No key provider generates EdDSA keys" in capsys.readouterr().err
    assert (
        main(["keys", "rotate", "--realm", "test", "--grace-period=0", f"--data-dir={tmp_path}"])
        == 0
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert "Rotated RS256 in realm 'test'" in out[0] and len(out[-1]) == 43  # a SHA-256 kid
