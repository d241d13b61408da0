# The two commands of the quick start. Both bootstrap uv and the locked environment.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
DEMO_DB ?= demo.db
PORT ?= 5006

.PHONY: demo test sync bench serve clean

$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --quiet --break-system-packages uv

.venv/.synced: uv.lock pyproject.toml $(wildcard plugins/*/pyproject.toml) | $(UV)
	$(UV) sync --locked --all-packages
	touch $@

sync: .venv/.synced

$(DEMO_DB): .venv/.synced
	$(UV) run --no-sync shequ demo --db $(DEMO_DB) --force

demo: $(DEMO_DB)
	$(UV) run --no-sync shequ indicators --db $(DEMO_DB) --region 新尚村社区 --period 2010Q4

test: .venv/.synced
	$(UV) run --no-sync pytest $(PYTEST_ARGS)

clean:
	rm -rf .venv $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
