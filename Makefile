# Consultation: every set-up step lives here, so a fresh clone needs only `make run` / `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The port `make run` serves on; exported so settings see it (in DEBUG, SITE_URL follows it).
PORT ?= 8000
export PORT
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# pyenv honours .python-version; without pyenv on PATH, look where pyenv installs.
PYTHON_BOOT ?= $(shell command -v python3.12 2>/dev/null || ls -d $(HOME)/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1)
SERVICES_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0
PYTEST_ARGS ?=
# pytest-xdist workers for `make pytest` (auto: one per core).
PYTEST_WORKERS ?= auto
# Bytecode caches are what let pytest skip rewriting the asserts of 540 test modules in
# every process (about 9 s of collection per xdist worker); a shell that turns them off
# (PYTHONDONTWRITEBYTECODE=1) would pay that on every run. __pycache__/ is ignored by git.
unexport PYTHONDONTWRITEBYTECODE
CHROMIUM ?= $(shell command -v chromium 2>/dev/null)
# One line per step of a first run, so a newcomer sees what the minutes are spent on.
say = @printf '==> %s\n' "$(1)"

.PHONY: help install install-dev assets messages run worker test lint fmt typecheck \
        migrations-check pytest jstest test-services test-reliability e2e bench ci clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/bin/python:
	@if [ -z "$(PYTHON_BOOT)" ]; then \
	  echo "Python 3.12 not found: put python3.12 on PATH or install it with pyenv (pyenv install 3.12)." >&2; exit 1; fi
	$(call say,Creating $(VENV) with $(PYTHON_BOOT))
	@$(PYTHON_BOOT) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(call say,Installing the Python dependencies (requirements.txt; first run: about a minute))
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(call say,Installing the development tools (requirements-dev.txt))
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# Development settings for a fresh clone, so every manage.py command of the README works as
# written. Never overwritten: delete it to get a new one. Gitignored; production never uses it.
.env: | $(VENV)/bin/python
	$(call say,Writing a development .env (DEBUG=1 and a freshly generated SECRET_KEY))
	@{ echo "# Development settings written by make (\`make run\`, \`make install\`): for this checkout only,"; \
	   echo "# never for production. Gitignored. Every variable is listed in .env.example."; \
	   echo "DEBUG=1"; \
	   echo "SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')"; } > $@.tmp
	@mv $@.tmp $@

install: $(VENV)/.runtime .env ## Create .venv, install the runtime dependencies, write a dev .env

install-dev: $(VENV)/.dev ## Install runtime and development dependencies

node_modules/.installed: package.json package-lock.json
	$(call say,Installing the front-end dependencies (npm ci))
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/dist/app.js: node_modules/.installed $(wildcard frontend/*.ts frontend/**/*.ts) tsconfig.json
	$(call say,Building the front-end assets (type-check and bundle into static/dist/))
	@npx tsc --noEmit
	@rm -rf static/dist/chunks
	@npx esbuild app=frontend/main.ts ops=frontend/ops.ts --bundle --splitting --format=esm --minify \
	  --sourcemap --target=es2020 --outdir=static/dist --entry-names=[name] \
	  --chunk-names=chunks/[name]-[hash] --log-level=warning

assets: static/dist/app.js ## Type-check and bundle the front-end into static/dist/

messages: $(VENV)/.runtime ## Compile the translation catalogs (installs gettext if missing)
	$(call say,Compiling the translation catalogs (locale/))
	@command -v msgfmt >/dev/null || { echo "    installing gettext (msgfmt)"; apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
	@DEBUG=1 $(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

run: install assets messages ## Migrate, seed and serve web + worker on http://127.0.0.1:$(PORT)/
	$(call say,Migrating the database (first run: about 10 s; it also seeds the model catalog))
	@DEBUG=1 $(MANAGE) migrate --noinput -v 0
	$(call say,Seeding the demo account)
	@DEBUG=1 $(MANAGE) seed_demo
	$(call say,Serving web + 2 workers on http://127.0.0.1:$(PORT)/ (log in with the demo account above; Ctrl-C stops all))
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=1 $(MANAGE) worker --interval 0.5 & \
	DEBUG=1 $(MANAGE) worker --interval 0.5 & \
	DEBUG=1 $(VENV)/bin/daphne -b 127.0.0.1 -p $(PORT) consultation.asgi:application & \
	wait -n

lint: install-dev ## ruff lint and format check, and the layer contracts (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

fmt: install-dev ## Format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install-dev ## mypy --strict over the whole tree
	$(VENV)/bin/mypy .

migrations-check: install-dev ## Fail if a model change has no migration
	DEBUG=1 $(MANAGE) makemigrations --check --dry-run

# The browser and reliability directories are not even collected (every test in them is marked
# out anyway): importing them, and schemathesis's plugin, cost each worker ~2 s.
pytest: install-dev assets messages ## The suite on the embedded default (SQLite, locmem), on every core
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not e2e and not services and not process and not reliability" \
	  --ignore=tests/e2e --ignore=tests/reliability -p no:schemathesis \
	  --cov --cov-report=term $(PYTEST_ARGS)

jstest: node_modules/.installed ## Front-end unit tests (store, client, replay) with node --test
	npm test

test: lint typecheck migrations-check pytest jstest ## Lint, types, migrations check and the whole suite

# REDIS_URL also selects the RQ task backend: tests/integration/test_multiprocess.py runs two
# Daphnes and two RQ workers on a database of its own. Serial on purpose: the tests share one
# Redis and one PostgreSQL server, and parallel runs of them fail each other.
test-services: install-dev assets messages ## The suite on PostgreSQL + Redis (RQ), and the real-process tests
	$(SERVICES_ENV) $(VENV)/bin/pytest -m "not e2e and not reliability" $(PYTEST_ARGS)

test-reliability: install-dev assets messages ## schemathesis over the API, the abuse and load runs
	$(VENV)/bin/pytest -m reliability tests/reliability $(PYTEST_ARGS)

e2e: install-dev assets messages ## Browser tests in headless Chromium
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	$(VENV)/bin/pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: install-dev ## Benchmarks; results go to bench/results/
	$(PY) -m bench

ci: test test-services test-reliability e2e ## Exactly what .ci/run runs

clean: ## Remove the venv, node_modules and built assets
	rm -rf $(VENV) node_modules static/dist
