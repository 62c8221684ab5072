# Peacekeeping Training Catalogue: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: install run setup serve bench test lint clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Mozilla's ical.js for the feed tests, pinned by its lock file. Without node the
# tests that need it are skipped and say why.
JS_DIR := tests/feeds/js
JS_INSTALLED := $(JS_DIR)/node_modules/.package-lock.json
$(JS_INSTALLED): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(JS_DIR) --prefer-offline --no-audit --no-fund; \
	else \
		echo "node or npm not found: the ical.js feed checks will be skipped"; \
	fi

# axe-core for the browser tests' accessibility checks, pinned the same way.
AXE_DIR := tests/browser/js
AXE_INSTALLED := $(AXE_DIR)/node_modules/.package-lock.json
$(AXE_INSTALLED): $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(AXE_DIR) --prefer-offline --no-audit --no-fund; \
	else \
		echo "node or npm not found: the axe-core accessibility checks will be skipped"; \
	fi

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

# The production stack on this machine: gunicorn and the scheduler on PostgreSQL
# (DATABASE_URL), rate limits in Redis; see docs/deployment.md.
serve: install
	bash deploy/serve.sh

# The load benchmarks against gunicorn on PostgreSQL; writes bench/RESULTS.md. Debian's
# wrk is the load generator: installed here when missing and apt-get can be used.
bench: install
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } \
		|| { echo "wrk is missing: install it (apt-get install wrk)"; exit 1; }
	$(BIN)/python -m bench.run

test: install $(JS_INSTALLED) $(AXE_INSTALLED)
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

# Extract every marked string, merge it into the catalogues, compile them. Commit
# messages.pot, the .po files and the compiled .mo files (the app reads the .mo).
TRANSLATIONS := catalog/translations
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
		--project "Peacekeeping Training Catalogue" \
		--no-wrap -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

clean:
	rm -rf $(VENV) instance/catalog.db .pytest_cache $(JS_DIR)/node_modules $(AXE_DIR)/node_modules
