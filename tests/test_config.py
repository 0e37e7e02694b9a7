"""Settings are declared once; config.toml and the README are kept in step with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncservice.base import config
from syncservice.base.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_config_toml_is_generated_from_settings():
    assert (ROOT / "config.toml").read_text(encoding="utf-8") == config.render_toml(), (
        "config.toml is out of date: run `python -m syncservice.base.config > config.toml`")


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f"{s.section}.{s.name}" for s in config.SETTINGS if f"`{s.section}.{s.name}`" not in readme]
    assert not missing, f"settings missing from README.md: {missing}"


def test_every_command_is_documented_in_the_readme():
    from syncservice.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in main.commands if f"syncservice {name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


def test_shipped_config_loads_to_the_defaults():
    loaded = config.load(ROOT / "config.toml")
    assert loaded.values == config.defaults().values


def test_paths_resolve_relative_to_the_config_file(tmp_path):
    (tmp_path / "sub").mkdir()
    cfg = tmp_path / "sub" / "config.toml"
    cfg.write_text('[paths]\nwatched = "../share"\n', encoding="utf-8")
    loaded = config.load(cfg)
    assert loaded.path("watched") == (tmp_path / "sub" / ".." / "share")
    assert loaded.path("database") == tmp_path / "sub" / "state" / "syncservice.sqlite"


@pytest.mark.parametrize("text, words", [
    ('[paths]\nwatchd = "x"\n', "unknown setting 'paths.watchd'"),
    ('[output]\nlanguage = "de"\n', "must be one of"),
    ('[limits]\nmax_rows = "many"\n', "must be int"),
    ("[paths\n", "not valid TOML"),
])
def test_bad_config_is_a_clear_error_naming_the_key(tmp_path, text, words):
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        config.load(cfg)


def test_missing_config_given_explicitly_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        config.load(tmp_path / "nope.toml", required=True)


@pytest.mark.parametrize("key, value", [
    ("feedback", "watched"), ("archive", "."), ("logs", "watched"), ("state", "watched"),
    ("consolidated", "watched/Samlet oversigt.xlsx"), ("feedback", "watched/../watched"),
])
def test_an_output_folder_that_is_or_holds_the_watched_folder_is_an_error_naming_the_key(tmp_path, key, value):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[paths]\n{key} = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"paths\.{key} .*overvågede mappe"):
        config.check_places(config.load(cfg))


def test_a_subfolder_of_the_watched_folder_for_outputs_is_allowed_but_a_database_there_is_not(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[paths]\nfeedback = "watched/Tilbagemeldinger"\nconsolidated = "watched/Økonomi/S.xlsx"\n'
                   '[output]\nlanguage = "en"\n', encoding="utf-8")
    config.check_places(config.load(cfg))
    cfg.write_text('[paths]\ndatabase = "watched/state/db.sqlite"\n[output]\nlanguage = "en"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"paths\.database .* is under the watched folder"):
        config.check_places(config.load(cfg))
