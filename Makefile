# Peacekeeping Training Catalogue: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: install run setup test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Database at instance/catalog.db, upgraded to the latest migration, with demo data.
setup: install
	$(FLASK) db upgrade
	$(FLASK) countries sync
	$(FLASK) demo load

# The web server on http://127.0.0.1:$(PORT) and the scheduler beside it; Ctrl-C
# stops both. Mail goes to instance/mail/*.eml, never the internet.
run: setup
	@trap 'kill 0' INT TERM EXIT; \
	$(FLASK) scheduler run & \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/catalog.db .pytest_cache
