"""What every rule-file model shares: unknown keys refused, values frozen once read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # defer_build: a model's validator is built when it first validates, not at import;
    # rules from the compiled-rules cache (rules.compiled) never validate (≈ 40 ms a start).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
