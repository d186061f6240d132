# Two commands on a fresh machine: `make run` (the demo on SQLite, served by gunicorn)
# and `make test` (the whole suite). Everything they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app.web:create_app
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install system-deps lint bench mutation contrat

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages: chromium for the browser tests, pango for WeasyPrint's PDF letters.
system-deps:
	@command -v chromium >/dev/null && ldconfig -p | grep -q libpango-1.0 || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core \
	   libpango-1.0-0 libpangoft2-1.0-0)

# The demo, served as in production: gunicorn with gunicorn.conf.py (several workers, timeouts,
# graceful restarts) and the timer worker as its own process. Only here is demo mode on
# (demo accounts, movable clock); production starts: see README.md.
run: export INVALIDITE_DEMO = 1
run: install
	$(FLASK) init-db
	$(FLASK) deploy
	$(FLASK) seed-demo
	INVALIDITE_TIMERS=1 $(BIN)/gunicorn -c gunicorn.conf.py

test: install system-deps
	$(BIN)/ruff check app tests bench mutation
	$(BIN)/pytest

# schemathesis against the app as `make run` serves it (gunicorn, 2 workers) on a fresh SQLite
# database; `.ci/run` runs it on PostgreSQL too (DATABASE_URL=…/invalidite_contrat).
contrat: install
	$(BIN)/python .ci/contrat_api.py

bench: install
	$(BIN)/python bench/engine.py

# Not part of `make test` (too slow): break one rule at a time and check the suite notices.
# First the targeted mutants of mutation/mutants.toml (SQLite, and PostgreSQL for those that
# need it: set DATABASE_URL), then mutmut's own mutants over app/domain.
mutation: install
	$(BIN)/pip install --quiet 'mutmut==3.8.1'
	$(BIN)/python mutation/run.py; status=$$?; \
	  $(BIN)/mutmut run --max-children 2 >/dev/null 2>&1; \
	  $(BIN)/python mutation/domaine.py; exit $$status
