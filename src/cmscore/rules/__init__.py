"""Rule files → validated models: the regulation's tables (附件1–3), the export's shape, pay.

Lives here: ``ruleset`` (the models and ``load_rules``), ``strict`` (the models are frozen
dataclasses pydantic validates only when a file is checked), ``bounds`` (the range
each rule value may take), ``yamlsafe`` (strict YAML with ``file:line`` on every value)
and ``shipped/`` (the rule files cmscore ships).
A new kind of scoring rule starts here, as a model in ``ruleset`` (its arithmetic then
goes in ``engine``).

May import: the kernel (``cmscore.numbers``, ``cmscore.problems``) only.
"""
