# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/pervichka: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev: $(BIN)/pervichka
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

.PHONY: install run test test-postgres test-redis lint bench
install: $(BIN)/pervichka

run: $(BIN)/pervichka
	$(BIN)/pervichka run

lint: $(VENV)/.dev
	$(BIN)/ruff check .

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

# The same suite on a throwaway PostgreSQL server (installed from Debian if missing).
test-postgres: $(VENV)/.dev
	scripts/with-postgres.sh $(BIN)/pytest -q

# The scale-out configuration: the suite on PostgreSQL with FSM state and event isolation
# in a throwaway Redis server (REDIS_URL), both installed from Debian if missing.
test-redis: $(VENV)/.dev
	scripts/with-postgres.sh scripts/with-redis.sh $(BIN)/pytest -q

bench: $(VENV)/.dev
	$(BIN)/python -m bench
