# The two commands of the quick start. Both bootstrap uv and the locked environment.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3
# uv from PATH when it runs; otherwise through the interpreter, because pip may put the uv
# script where PATH does not look (~/.local/bin, /usr/local/bin, a pyenv version's bin).
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo $(PYTHON) -m uv)
DEMO_DB ?= demo.db
PORT ?= 5006

.PHONY: demo test sync bench bench-ui bench-load bench-scale bench-analytics serve clean uv-bootstrap dist

# plain pip first (venv, pyenv, python.org builds); Debian's own Python refuses it (PEP 668)
uv-bootstrap:
	@$(UV) --version >/dev/null 2>&1 || { \
	  echo "uv not found: installing it with $(PYTHON) -m pip"; \
	  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore; \
	  $(PYTHON) -m pip install --quiet uv || $(PYTHON) -m pip install --quiet --user uv \
	    || $(PYTHON) -m pip install --quiet --break-system-packages uv; }
	@$(UV) --version >/dev/null

# bytecode compiled once here: with PYTHONDONTWRITEBYTECODE set (containers, CI) every `shequ`
# command and server would otherwise compile ~600 modules from source (about 3 s a process)
.venv/.synced: uv.lock pyproject.toml $(wildcard plugins/*/pyproject.toml) | uv-bootstrap
	$(UV) sync --locked --all-packages --compile-bytecode
	$(UV) run --no-sync python -m compileall -q src plugins >/dev/null
	touch $@

sync: .venv/.synced

# order-only: a re-synced .venv must not rebuild an existing demo database (and lose its entries)
$(DEMO_DB): | .venv/.synced
	$(UV) run --no-sync shequ demo --db $(DEMO_DB) --force

# builds the demo database if it is absent, then serves the dashboards (Ctrl-C stops them)
demo: $(DEMO_DB)
	@# a demo database kept from an earlier version is brought up to the schema (backed up first)
	$(UV) run --no-sync shequ migrate --db $(DEMO_DB)
	$(UV) run --no-sync shequ indicators --db $(DEMO_DB) --region 新尚村社区 --period 2010Q4
	@echo "乡镇看板 / township dashboard:  http://127.0.0.1:$(PORT)/township"
	@echo "村务录入 / village data entry:  http://127.0.0.1:$(PORT)/entry"
	$(UV) run --no-sync shequ serve --db $(DEMO_DB) --port $(PORT)

# the dashboards on an existing database: make serve DEMO_DB=county.db PORT=5007
serve: .venv/.synced
	$(UV) run --no-sync shequ serve --db $(DEMO_DB) --port $(PORT)

test: .venv/.synced
	$(UV) run --no-sync pytest $(PYTEST_ARGS)

# county-scale benchmarks against same-run baselines (docs/performance.md); the county is generated
# once into benchmarks/.data/ and reused. BENCH_ARGS e.g. "--only 1,3 --runs 3" or "--pg postgresql+psycopg://…"
bench: .venv/.synced
	$(UV) run --no-sync python benchmarks/county_bench.py $(BENCH_ARGS)

# the township dashboard and the entry app in headless Chromium, each interaction against a bare
# Panel page served in the same run (docs/performance.md); the demo database is built once into
# benchmarks/.data/. BENCH_UI_ARGS e.g. "--runs 3 --only township"
bench-ui: .venv/.synced
	$(UV) run --no-sync python benchmarks/ui_bench.py $(BENCH_UI_ARGS)

# N concurrent Chromium sessions changing period and area on /township against
# shequ serve --num-procs 2 (docs/performance.md). BENCH_LOAD_ARGS e.g.
# "--pg postgresql+psycopg://…/postgres" or "--sessions 3 --interactions 4" (a smoke run)
bench-load: .venv/.synced
	$(UV) run --no-sync python benchmarks/load.py $(BENCH_LOAD_ARGS)

# 1, 2, then 4 counties in one database: one county's indicators and dashboard data after each
# step, and the growth (docs/performance.md). BENCH_SCALE_ARGS e.g. "--pg postgresql+psycopg://…/postgres --runs 5"
bench-scale: .venv/.synced
	$(UV) run --no-sync python benchmarks/scale.py $(BENCH_SCALE_ARGS)

# the stored indicator cells: reads from them vs hand SQL, a write's cost with them, refresh and
# rebuild times (docs/performance.md#the-aggregate-layer). BENCH_ANALYTICS_ARGS e.g. "--townships 3 --years 2"
bench-analytics: .venv/.synced
	$(UV) run --no-sync python benchmarks/analytics_bench.py $(BENCH_ANALYTICS_ARGS)

# wheels and sdists of shequ-sdk and of every plugin in plugins/, into dist/ (docs/plugins.md
# "Installing": an outside plugin depends on dist/shequ_sdk-*.whl; a site installs the wheels it needs)
dist: | uv-bootstrap
	rm -rf dist
	$(UV) build --all-packages --out-dir dist
	@ls dist

clean:
	rm -rf .venv dist $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
