# rollminder: `make run` sets up and runs the app; `make test` sets up and runs the whole suite.
# Every target works from a fresh clone: the virtualenv and the installs are made on demand and
# redone when pyproject.toml or constraints.txt change. See docs/development.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip
# Extra arguments: `make test PYTEST_ARGS='-x -k schedule'`, `make bench BENCH_ARGS='--rounds 10'`.
PYTEST_ARGS ?=
BENCH_ARGS ?=

# Debian packages the test suite needs, installed by `make system-deps` (part of `make test`) when
# missing. Reminders (tests/test_remind_*.py): a notification server (dunst) under Xvfb on a
# private D-Bus (dbus-daemon), and systemd-analyze to verify the user unit.
# tmux: the end-to-end test of `rollminder start` (tests/test_start_tmux.py).
# chromium (+ a font): the web app's browser tests (Playwright drives /usr/bin/chromium).
APT_PACKAGES := xvfb xauth dbus dbus-daemon dunst systemd tmux chromium fonts-dejavu-core
# CalDAV push against SabreDAV (Debian's php-sabre-dav under `php -S`) and Radicale over HTTPS
# with a private CA made by openssl (tests/test_calendar_caldav*.py).
APT_PACKAGES += openssl php-cli php-sabre-dav php-sqlite3
# libical through its GObject bindings, from Debian's python3 (tests/test_calendar_clients.py).
APT_PACKAGES += python3-gi gir1.2-ical-3.0
# PostgreSQL for the hosted store's tests (tests/pg.py starts a private cluster as the postgres
# user on 127.0.0.1): the contract, migrations, row-level security, CLI and web on PostgreSQL.
APT_PACKAGES += postgresql
# Caddy, the TLS proxy of deploy/Caddyfile: `caddy validate`, and run on loopback in front of two
# serve processes (tests/test_deploy.py; systemd-analyze comes with systemd above).
APT_PACKAGES += caddy
# Node.js for the npm-based calendar readers (ical.js, node-ical): Debian's, only if none is here.
ifeq ($(shell command -v node 2>/dev/null),)
APT_PACKAGES += nodejs npm
endif
# The skin journal's report tests read the PDF back (pdftotext) and render its pages (pdftoppm).
APT_PACKAGES += poppler-utils

.DEFAULT_GOAL := help
.PHONY: help run test system-deps bench lint fmt lock clean vendor docs

help:
	@echo "make run          set up .venv, then serve the web app on http://127.0.0.1:8765"
	@echo "make test         set up .venv with dev tools and system packages, run the whole suite"
	@echo "make lint         ruff format --check, ruff check, mypy"
	@echo "make fmt          ruff format and ruff check --fix"
	@echo "make bench        speed benchmarks; results go to docs/benchmarks.md"
	@echo "make docs         regenerate the CLI reference (docs/cli.md) from the commands' --help"
	@echo "make lock         regenerate constraints.txt from pyproject.toml"
	@echo "make system-deps  install the Debian packages the tests need: $(or $(APT_PACKAGES),none yet)"
	@echo "make vendor       refresh the vendored htmx from npm (package.json pins it)"
	@echo "make clean        remove .venv, caches and bench/.work"

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The source is byte-compiled up front: with PYTHONDONTWRITEBYTECODE set (as on some machines),
# Python would otherwise recompile every module on every start of the CLI.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	$(BIN)/python -m compileall -q src >/dev/null
	touch $@

$(DEV_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The web app on http://127.0.0.1:8765 (the reminders run inside it); a first run without a plan
# starts with the web onboarding. `make run SERVE_ARGS='--open'` opens the browser too.
SERVE_ARGS ?=
run: $(STAMP)
	@echo "Starting rollminder: open http://127.0.0.1:8765/ (Ctrl-C stops it)"
	@$(BIN)/rollminder serve $(SERVE_ARGS)

# Copies the pinned front-end files (package.json: htmx.org) from npm into
# src/rollminder/web/static/vendor. The copies are committed: running the app fetches nothing.
vendor:
	npm ci --no-audit --no-fund
	npm run vendor

# The npm packages the tests read calendars with (package.json devDependencies), redone when
# package-lock.json changes. After system-deps, which may install node.
node_modules/.installed: package.json package-lock.json | system-deps
	npm ci --no-audit --no-fund
	touch $@

# pytest exits 5 when it collected no test: that fails `make test` like any other failure.
test: $(DEV_STAMP) system-deps node_modules/.installed
	@$(BIN)/python -m pytest $(PYTEST_ARGS) || { rc=$$?; \
	  [ $$rc -ne 5 ] || echo "make test: pytest ran no tests (exit 5); that is a failure." >&2; \
	  exit $$rc; }

# Installs only what is missing; runs apt-get update only when something must be installed.
system-deps:
	@missing=; \
	for p in $(APT_PACKAGES); do \
	  dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else \
	  echo "make system-deps: the tests need these Debian packages:$$missing" >&2; \
	  echo "  not root and no sudo: run 'apt-get install -y$$missing' as root, then retry." >&2; \
	  exit 1; \
	fi; \
	echo "Installing Debian packages:$$missing"; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

bench: $(DEV_STAMP) system-deps node_modules/.installed
	$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The CLI reference is generated from the commands' own --help (tests/test_cli_reference.py
# fails when it is out of date).
docs: $(STAMP)
	COLUMNS=100 $(BIN)/python -m rollminder.cli.reference docs/cli.md

lint: $(DEV_STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

fmt: $(DEV_STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Resolve pyproject.toml's dependencies afresh in a throwaway venv and pin what it installed.
# The leading comment lines of constraints.txt are kept. (pip builds the wheel in build/: removed.)
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp" build' EXIT && \
	$(PY) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip && \
	"$$tmp/venv/bin/python" -m pip install --quiet '.[dev]' && \
	{ sed -n '/^#/!q;p' constraints.txt; \
	  "$$tmp/venv/bin/python" -m pip freeze --exclude rollminder; } > "$$tmp/constraints.txt" && \
	mv "$$tmp/constraints.txt" constraints.txt && \
	echo "constraints.txt: $$(grep -c '==' constraints.txt) pins"

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache \
	  .hypothesis bench/.work
