"""What every rule-file model shares: unknown keys refused, values frozen once read.

The models are plain frozen dataclasses (``@dataclass(frozen=True, kw_only=True)`` on a
``Strict``): pydantic reads their annotations and builds a validator only when a rule
file is checked (``validate``). Rules from the compiled-rules cache (``rules.compiled``)
are unpickled without importing pydantic at all (≈ 0.06 s of every command's start).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, TypeVar

M = TypeVar("M", bound="Strict")
_ADAPTERS: dict[type, Any] = {}


class Strict:
    """Base of the rule-file models. The ``model_*`` methods are pydantic's names for the
    few things done with a model besides reading it (tests adjust a rule with them)."""

    # Read by pydantic when it validates a dataclass: a key the model does not have is
    # refused ("unexpected keyword argument", said as 未知的键 like pydantic's models').
    __pydantic_config__ = {"extra": "forbid"}

    @classmethod
    def model_validate(cls: type[M], data: Any) -> M:
        return validate(cls, data)

    def model_copy(self: M, update: dict[str, Any] | None = None) -> M:
        """A copy with ``update``'s fields changed, not checked again (as pydantic's)."""
        changed = copy.copy(self)
        for name, value in (update or {}).items():
            object.__setattr__(changed, name, value)  # frozen: set as the copy is made
        return changed

    def model_dump(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]

    def model_dump_json(self) -> str:
        return str(_adapter(type(self)).dump_json(self).decode("utf-8"))


def _adapter(cls: type) -> Any:
    if cls not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def validate(cls: type[M], data: Any) -> M:
    """``data`` (a rule file's YAML) as a ``cls``, or pydantic's ValidationError."""
    return _adapter(cls).validate_python(data)  # type: ignore[no-any-return]
