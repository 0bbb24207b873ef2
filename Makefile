# Two commands for a new user: `make run` and `make test`. Nothing else needs installing
# beyond Python 3.11, pip and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint check install install-dev clean bench bench-quick

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed since the last install.
$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

run: install
	PORT=$(PORT) $(PY) -m automl_site.launcher

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

check: install-dev
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Figures, not tests: the profiler alone; a 1,000,000-row CSV from upload to ready on a private
# platform; a model served over REST and on a worker; the AutoML engine against FLAML and a default HistGradientBoosting on seven public
# datasets (over an hour; `bench-quick` runs one fold per dataset). Each exits non-zero when a
# target of its issue is missed.
bench: install-dev
	$(PY) -m bench.profile_bench
	$(PY) -m bench.datasets_bench
	$(PY) -m bench.serving_bench
	$(PY) -m bench.training_bench

bench-quick: install-dev
	$(PY) -m bench.profile_bench
	$(PY) -m bench.datasets_bench
	$(PY) -m bench.serving_bench
	$(PY) -m bench.training_bench --quick

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
