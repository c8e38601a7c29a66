"""The CLI: every command has help and is documented in the README; errors never show a traceback."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_command_has_help_and_is_in_the_readme():
    runner = CliRunner()
    assert runner.invoke(main, ["--help"]).exit_code == 0
    for name, command in main.commands.items():
        assert command.help, name
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
        assert f"`kg {name}" in README, f"kg {name} is not documented in README.md"


def test_serve_without_a_build_says_what_to_do(tmp_path):
    result = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--build", str(tmp_path / "missing")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "run 'kg build" in result.stderr and "Traceback" not in result.stderr


def test_query_needs_exactly_one_query(tmp_path):
    result = CliRunner().invoke(main, ["query"])
    assert result.exit_code == 2 and "give one of" in result.output


def test_build_strict_is_an_option(tmp_path):
    """`kg build --strict` was documented but did not exist."""
    result = CliRunner().invoke(main, ["build", "--help"])
    assert "--strict" in result.output
    result = subprocess.run([sys.executable, "-m", "kg.cli", "build", "--strict", "--out", str(tmp_path / "b")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]  # the bundled pages have no Violation
    assert (tmp_path / "b" / "summary.json").is_file()


def test_export_to_an_unwritable_place_is_a_clear_error(built, tmp_path):
    result = CliRunner().invoke(main, ["export", "--format", "iati", "--out", str(tmp_path / "no" / "x.xml"),
                                       "--build", str(built.out)])
    assert result.exit_code == 2 and "x.xml: cannot write the export" in result.output
    assert "Traceback" not in result.output
