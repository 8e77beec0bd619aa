"""Compiled rules, cached: a checked ``RuleSet`` kept as a pickle so the next run skips
the YAML parse and pydantic's checks (≈ 0.1 s of a small month's 0.5 s); the models being
plain dataclasses (``rules.strict``), a hit does not even import pydantic.

Where: ``$CMSCORE_CACHE_DIR`` if set (empty: no cache), else ``$XDG_CACHE_HOME/cmscore``,
else ``~/.cache/cmscore``: beside the user's other caches, not beside the store, because
the same rule directory serves every store and a read-only store must not stop it.

What decides a hit: the key hashes the rule directory as given, every rule file's name and
SHA-256 (the bytes that were checked), and what could read those bytes differently: the
source of the rule models (``cmscore/rules/*.py``, and ``numbers.py``/``problems.py`` that
they call), cmscore's version, Python's and pydantic's. A changed rule file, an upgrade or an edited model is a new key; the old
entry is never trusted and is pruned. Rule files with a problem are never cached: their
messages come from the full check every time.

An entry is written atomically (a temporary file, then a rename); one that cannot be
read (truncated, from another layout, not the user's own, writable by others) is
ignored and written again. A cache that cannot be written is no error: the rules are
simply checked again next time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

from cmscore import __version__

FORMAT = 2  # bump when what is pickled changes shape
KEEP = 32  # entries kept: a test suite or a bank's several rule sets, not an unbounded heap
_MODELS = Path(__file__).resolve().parent
# What the models' validators call from below them (cmscore.numbers: clean_name).
_KERNEL = [_MODELS.parent / "numbers.py", _MODELS.parent / "problems.py"]


def cache_dir() -> Path | None:
    given = os.environ.get("CMSCORE_CACHE_DIR")
    if given is not None:
        return Path(given) if given.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cmscore"


def _models_digest() -> str:
    """The rule models' own source and the kernel they call: an edited model (or
    ``clean_name``) reads the same YAML differently."""
    digest = hashlib.sha256()
    for path in [*sorted(_MODELS.glob("*.py")), *_KERNEL]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _pydantic() -> str:
    """pydantic's release, as the bytes of its ``version.py``: importing ``pydantic.version``
    imports pydantic-core, which a run whose rules come from here never needs."""
    import importlib.util

    spec = importlib.util.find_spec("pydantic")
    try:
        where = Path(spec.origin).parent / "version.py"  # type: ignore[union-attr, arg-type]
        return hashlib.sha256(where.read_bytes()).hexdigest()
    except (OSError, TypeError, AttributeError):  # an unusual install: no cache hit, ever
        return f"unknown {time.time_ns()}"


def key(directory: Path, hashes: dict[str, str]) -> str:
    parts = [f"format {FORMAT}", f"cmscore {__version__}", f"python {sys.version}",
             f"pydantic {_pydantic()}", f"models {_models_digest()}",
             f"directory {directory}", *(f"{name}\0{h}" for name, h in sorted(hashes.items()))]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _path(entry: str) -> Path | None:
    where = cache_dir()
    return where / f"rules-{entry}.pickle" if where else None


def read(entry: str) -> object | None:
    """The object cached under ``entry``, or None (absent, unreadable, not trusted)."""
    path = _path(entry)
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            # Only the user's own file, writable by no one else: a pickle runs code.
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                return None
            return pickle.load(fh)
    except Exception:  # absent, truncated, or pickled by another layout: rebuild
        return None


def write(entry: str, value: object) -> None:
    """Cache ``value`` under ``entry`` atomically; keep the KEEP newest entries."""
    path = _path(entry)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".rules-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path.parent)
    except Exception:  # a read-only home, a full disk: the rules are checked again next time
        return


def _prune(where: Path) -> None:
    """Keep the KEEP newest entries, and drop the temporary file of a run killed while
    writing one (an hour old: no write takes that long)."""
    entries = []
    for p in where.glob("rules-*.pickle"):
        try:
            entries.append((p.stat().st_mtime, p))
        except OSError:
            continue
    for _, old in sorted(entries, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)
    for tmp in where.glob(".rules-*"):
        try:
            if time.time() - tmp.stat().st_mtime > 3600:
                tmp.unlink()
        except OSError:
            continue
