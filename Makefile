# Northgate. `make run` serves the portal on the embedded default; `make test` runs the suite.
# Every target installs what it needs, so both work on a fresh Debian machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
SYSTEM_DEPS := scripts/system-deps.sh

# What `northgate export-static` writes and nginx serves (deploy/nginx/northgate.conf's
# `root`, deploy/systemd/northgate-export-static.service): `static` in the checkout, which
# is /srv/northgate/static in production.
STATIC_DIR := $(CURDIR)/static

.PHONY: run test test-fast lint typecheck bench bench-quick lock clean messages static verify-units

run: $(STAMPS)/runtime $(STAMPS)/assets
	$(BIN)/northgate migrate
	$(BIN)/northgate serve

test: $(STAMPS)/dev $(STAMPS)/assets $(STAMPS)/test-system lint typecheck
	$(BIN)/pytest --cov --cov-report=term

# Every test that needs no server nor other process (tests/support/tiers.py marks the others
# `servers`): nothing to install but the virtualenv and the front-end assets, and on every
# core. `make test` still runs them all.
test-fast: $(STAMPS)/dev $(STAMPS)/assets
	$(BIN)/pytest -q -m "not servers" -n auto

# On every release, after updating the checkout (docs/operations.md).
static: $(STAMPS)/runtime $(STAMPS)/assets
	$(BIN)/northgate export-static $(STATIC_DIR)

# The systemd units as systemd reads them, on any machine (no /srv/northgate needed).
verify-units: $(STAMPS)/dev $(STAMPS)/test-system
	$(BIN)/pytest -q tests/deploy/test_systemd.py

# The layers are import-linter contracts in pyproject.toml (docs/architecture.md).
lint: $(STAMPS)/dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMPS)/dev
	$(BIN)/mypy

BENCHMARKS := pages gate overload analytics submit journey edge forecast

bench: $(STAMPS)/dev $(STAMPS)/assets $(STAMPS)/bench-system $(STAMPS)/test-system
	for name in $(BENCHMARKS); do $(BIN)/python -m bench.$$name || exit 1; done

# Every benchmark once in its shortest run: proves they work, writes no results.
bench-quick: $(STAMPS)/dev $(STAMPS)/assets $(STAMPS)/bench-system $(STAMPS)/test-system
	for name in $(BENCHMARKS); do $(BIN)/python -m bench.$$name --quick || exit 1; done

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# setup.py builds the tap's counter in C (src/northgate/analytics/capture/_arrivals.c): a compiler.
BUILT_FROM := pyproject.toml constraints.txt setup.py src/northgate/analytics/capture/_arrivals.c

$(STAMPS)/runtime: $(BUILT_FROM) | $(BIN)/python $(STAMPS)/build-system
	$(BIN)/pip install -q -c constraints.txt -e .
	@mkdir -p $(STAMPS) && touch $@

# The development install builds the C counter strictly (setup.py): warnings are errors.
$(STAMPS)/dev: $(BUILT_FROM) | $(BIN)/python $(STAMPS)/build-system
	NORTHGATE_STRICT_BUILD=1 $(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@ $(STAMPS)/runtime

# GC Design System tokens and fonts from npm, exactly as locked (and axe-core, which the
# accessibility test loads into Chromium).
$(STAMPS)/assets: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/build-system: $(SYSTEM_DEPS)
	$(SYSTEM_DEPS) gcc=gcc
	@mkdir -p $(STAMPS) && touch $@

# Real servers the integration tests start for themselves (PostgreSQL ships on the machine).
# nginx runs the waiting room in Lua (deploy/nginx/lua, decision 0005): Debian's Lua module
# (it brings LuaJIT and the NDK module), OpenResty's core library (ngx.base64, ...) and
# lua-cjson. Not lua-nginx-redis: Debian makes it depend on nginx-extras, which replaces
# nginx-light's set of modules with twenty others; the edge speaks the few Redis commands
# it needs itself (deploy/nginx/lua/northgate/redis.lua).
LUA_EDGE_DEPS := /usr/share/nginx/modules/ngx_http_lua_module.so=libnginx-mod-http-lua \
  /usr/share/lua/5.1/resty/core.lua=lua-resty-core /usr/share/lua/5.1/cjson/util.lua=lua-cjson

# Depends on the Makefile too: a checkout whose list grew installs the new packages.
$(STAMPS)/test-system: $(SYSTEM_DEPS) Makefile
	$(SYSTEM_DEPS) redis-server=redis-server nginx=nginx-light pg_ctl=postgresql chromium=chromium \
	  systemd-analyze=systemd promtool=prometheus prometheus-alertmanager=prometheus-alertmanager \
	  $(LUA_EDGE_DEPS)
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/bench-system: $(SYSTEM_DEPS)
	$(SYSTEM_DEPS) wrk=wrk nginx=nginx-light taskset=util-linux valgrind=valgrind $(LUA_EDGE_DEPS)
	@mkdir -p $(STAMPS) && touch $@

lock: $(STAMPS)/dev
	{ echo "# Exact versions for a reproducible install: pip install -c constraints.txt -e '.[dev]'"; \
	  echo "# Regenerate after changing dependencies: make lock"; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt

clean:
	rm -rf $(VENV) $(STAMPS) node_modules .mypy_cache .ruff_cache .pytest_cache .coverage

# Re-extract interface strings after changing templates; then translate the new msgids.
messages: $(STAMPS)/dev
	$(BIN)/pybabel extract -F babel.cfg -k gettext:2 --no-location --sort-output \
	  -o src/northgate/ui/locale/messages.pot .
	$(BIN)/pybabel update -i src/northgate/ui/locale/messages.pot -d src/northgate/ui/locale \
	  --no-fuzzy-matching
