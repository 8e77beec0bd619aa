"""The compiled-rules cache: a hit skips the YAML and the model checks, and anything that
could make the cached rules differ from the files is a miss."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cmscore.rules import compiled, ruleset, yamlsafe
from cmscore.rules.ruleset import DEFAULT_DIR, load_rules
from cmscore.rules.yamlsafe import RuleFileError


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("CMSCORE_CACHE_DIR", str(where))
    return where


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEFAULT_DIR, tmp_path / "rules"))


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the rule files were parsed again")
    monkeypatch.setattr(yamlsafe, "load", refuse)


def test_second_load_comes_from_the_cache(cache: Path, rules_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_rules(rules_dir)
    assert len(list(cache.glob("rules-*.pickle"))) == 1
    _no_parsing(monkeypatch)
    again = load_rules(rules_dir)
    assert again == first
    assert again.hashes == first.hashes and again.directory == str(rules_dir)


def test_an_edited_rule_file_is_checked_again(cache: Path, rules_dir: Path) -> None:
    load_rules(rules_dir)
    path = rules_dir / "payroll.yaml"
    text = path.read_text(encoding="utf-8")
    assert "1500" in text
    path.write_text(text.replace("1500", "1600", 1), encoding="utf-8")
    edited = load_rules(rules_dir)
    assert "1600" in edited.payroll.model_dump_json()
    # and a broken file is refused with its message, not served from the cache
    path.write_text(text + "\nnonsense: [\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="payroll.yaml"):
        load_rules(rules_dir)


def test_an_unreadable_entry_is_rebuilt(cache: Path, rules_dir: Path) -> None:
    first = load_rules(rules_dir)
    [entry] = cache.glob("rules-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_rules(rules_dir) == first
    assert entry.read_bytes() != b"not a pickle"


def test_an_entry_others_may_write_is_not_trusted(cache: Path, rules_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    load_rules(rules_dir)
    [entry] = cache.glob("rules-*.pickle")
    entry.chmod(0o666)
    parsed: list[Path] = []
    real = yamlsafe.load
    monkeypatch.setattr(yamlsafe, "load", lambda p, t=None: parsed.append(p) or real(p, t))
    load_rules(rules_dir)
    assert parsed  # checked again, and the entry rewritten with the user's own mode
    assert entry.stat().st_mode & 0o077 == 0


def test_another_version_or_model_source_is_a_miss(cache: Path, rules_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    hashes = load_rules(rules_dir).hashes
    before = compiled.key(rules_dir, hashes)
    monkeypatch.setattr(compiled, "__version__", "9.9.9")
    assert compiled.key(rules_dir, hashes) != before
    monkeypatch.undo()
    monkeypatch.setattr(compiled, "_models_digest", lambda: "edited")
    assert compiled.key(rules_dir, hashes) != before
    assert compiled.key(rules_dir.parent, hashes) != before


def test_a_cache_that_fails_to_write_fails_nothing(cache: Path, rules_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise pickle.PicklingError("cannot")
    monkeypatch.setattr(pickle, "dump", broken)
    assert load_rules(rules_dir).tables
    assert not list(cache.glob("*"))  # no entry, no temporary file left


def test_no_cache_when_turned_off_or_not_writable(tmp_path: Path, rules_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMSCORE_CACHE_DIR", "")
    assert load_rules(rules_dir).tables
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("CMSCORE_CACHE_DIR", str(blocked / "cache"))
    assert load_rules(rules_dir).tables  # no error: checked again next time


def test_old_entries_are_pruned(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "KEEP", 3)
    cache.mkdir()
    killed, writing = cache / ".rules-killed", cache / ".rules-writing"
    killed.write_bytes(b"half a pickle")
    writing.write_bytes(b"")
    os.utime(killed, (0, 0))
    for n in range(5):
        compiled.write(f"{n:064x}", n)
        os.utime(cache / f"rules-{n:064x}.pickle", (n, n))
    kept = sorted(int(p.stem.removeprefix("rules-"), 16) for p in cache.glob("rules-*.pickle"))
    assert kept == [2, 3, 4]  # the newest
    assert compiled.read(f"{4:064x}") == 4 and compiled.read(f"{0:064x}") is None
    assert not killed.exists() and writing.exists()  # another run may be writing that one


def test_a_cached_start_needs_no_yaml(cache: Path, rules_dir: Path) -> None:
    """A month scored with cached rules does not import PyYAML (nor parse anything)."""
    load_rules(rules_dir)
    code = ("import sys; from cmscore.rules.ruleset import load_rules; "
            f"load_rules(__import__('pathlib').Path({str(rules_dir)!r})); "
            "print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "CMSCORE_CACHE_DIR": str(cache)})
    assert out.stdout.strip() == "False"


def test_the_shipped_rules_load_the_same_through_the_cache(cache: Path) -> None:
    checked = ruleset._check_rules  # what the files say, without the cache
    files = sorted(DEFAULT_DIR.glob("*.yaml"))
    raw = {p.name: p.read_bytes() for p in files}
    hashes = {n: hashlib.sha256(b).hexdigest() for n, b in raw.items()}
    fresh = checked(DEFAULT_DIR, files, raw, hashes)
    load_rules()
    assert load_rules() == fresh


def test_rules_from_the_cache_need_no_pydantic(cache: Path, rules_dir: Path) -> None:
    """The models are plain dataclasses: a hit unpickles them without importing pydantic
    (≈ 0.06 s of every command's start); a miss checks the files with it."""
    probe = ("import sys\n"
             "from pathlib import Path\n"
             "from cmscore.rules.ruleset import load_rules\n"
             "rules = load_rules(Path(sys.argv[1]))\n"
             "print(sorted({'pydantic', 'pydantic_core'} & set(sys.modules)),\n"
             "      rules.payroll.grades['一级'], rules.grading.windows)\n")

    def run() -> str:
        return subprocess.run([sys.executable, "-c", probe, str(rules_dir)], check=True,
                              capture_output=True, text=True, timeout=60).stdout.strip()

    assert run() == "['pydantic', 'pydantic_core'] 1500 [6, 12]"  # checked, then cached
    assert run() == "[] 1500 [6, 12]"
