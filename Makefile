# Two commands: `make run` (the app on the embedded defaults) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-dev lint lock bench messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-dev
	@touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@bin/run

# Two processes (pytest-xdist): the suite's time halves on a two-core machine.
PYTEST_ARGS ?= -n 2
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

# Speed targets of the key pages at 1,000 and 10,000 missions on a throw-away database (not
# part of the tests; exit 1 on a miss). BENCH_ARGS=--quick for a smoke run, --large for
# 100,000 too; DATABASE_URL=postgres://... to measure on PostgreSQL.
bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/bandit -r config clusters commitments missions reports formats bench -ll -x '*/migrations/*,tests'
	$(BIN)/python manage.py makemigrations --check --dry-run

# Re-pin after changing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

# Extract the strings into the catalogues (needs GNU gettext), then compile them. The compiled
# .mo files are committed: `make run` needs no gettext. Translate the new entries in each .po.
LOCALES := fr es ar ru zh_Hans
messages: install-dev
	$(BIN)/python manage.py makemessages $(addprefix -l ,$(LOCALES)) --no-obsolete --no-wrap \
		--ignore=.venv --ignore=tests --ignore=bench --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv
