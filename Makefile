# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo-out

.PHONY: demo test lint bench clean examples

$(BIN)/cmscore: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-extras: $(BIN)/cmscore
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/cmscore
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	for f in examples/2026-0?.xlsx; do \
	  $(BIN)/cmscore score $$f --db $(DEMO)/cmscore.db --out $(DEMO) --quiet \
	    --tasks examples/tasks/任务下达-2026.csv || exit 1; \
	done
	$(BIN)/cmscore score examples/2026-10.xlsx --db $(DEMO)/cmscore.db --out $(DEMO)
	$(BIN)/cmscore adjust examples/adjustments/调整-2026-10.csv --db $(DEMO)/cmscore.db
	$(BIN)/cmscore show 2026-10 --write --db $(DEMO)/cmscore.db --out $(DEMO)
	$(BIN)/cmscore events examples/adjustments/第十六条事件-2026.csv --db $(DEMO)/cmscore.db
	$(BIN)/cmscore score examples/worked-example.xlsx --db $(DEMO)/worked.db --out $(DEMO)/worked
	$(BIN)/cmscore grade --months 6 --end 2026-06 --db $(DEMO)/cmscore.db --out $(DEMO)
	$(BIN)/cmscore roster examples/roster-2026.csv --db $(DEMO)/cmscore.db
	$(BIN)/cmscore payroll --month 2026-10 --supervisors examples/supervisors/主管人员.csv \
	  --db $(DEMO)/cmscore.db --out $(DEMO)
	$(BIN)/cmscore explain 011771 --month 2026-10 --db $(DEMO)/cmscore.db
	$(BIN)/cmscore report --month 2026-10 --db $(DEMO)/cmscore.db --out $(DEMO)
	$(BIN)/cmscore summary --year 2026 --db $(DEMO)/cmscore.db --out $(DEMO)
	$(BIN)/cmscore summary --year 2026 --quarter 3 --db $(DEMO)/cmscore.db --out $(DEMO)

test: $(VENV)/.test-extras
	$(BIN)/ruff check src tests
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.test-extras
	$(BIN)/ruff check src tests
	$(BIN)/mypy src
	$(BIN)/lint-imports

$(VENV)/.bench-extras: $(BIN)/cmscore
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench-extras
	$(BIN)/python benchmarks/bench.py

examples: $(VENV)/.test-extras
	$(BIN)/python scripts/make_examples.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
