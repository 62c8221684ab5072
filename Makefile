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

# The web server on http://127.0.0.1:$(PORT). The scheduler process will be started
# here, beside it, once the site has one.
run: setup
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/catalog.db .pytest_cache
