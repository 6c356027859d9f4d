# Minsheng: `make demo` and `make test` create .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SCALE ?= $(or $(MINSHENG_DEMO_SCALE),1.0)
SEED ?= 42
CITY_DIR ?= var/city-$(SCALE)-$(SEED)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv demo test lint format bench clean

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: venv lint
	$(BIN)/pytest

demo: venv
	MINSHENG_DEBUG=1 $(BIN)/minsheng migrate --verbosity 0
	MINSHENG_DEBUG=1 $(BIN)/minsheng init_keys
	@if [ ! -f $(CITY_DIR)/manifest.json ]; then \
		MINSHENG_DEBUG=1 $(BIN)/minsheng synth --scale $(SCALE) --seed $(SEED) --out $(CITY_DIR); \
	else echo "Synthetic city already in $(CITY_DIR)"; fi
	MINSHENG_DEBUG=1 $(BIN)/minsheng load_city $(CITY_DIR)
	MINSHENG_DEBUG=1 $(BIN)/minsheng ingest $(CITY_DIR)/exports
	MINSHENG_DEBUG=1 $(BIN)/minsheng create_demo_accounts
	MINSHENG_DEBUG=1 $(BIN)/minsheng staff_grids $(CITY_DIR)
	@# grid workers with tasks waiting: 清泉社区's uninsured and its unemployed graduates
	MINSHENG_DEBUG=1 $(BIN)/minsheng dispatch_tasks --theme insurance_expansion --list insurance_no_pension --kind insurance_willingness --area 150302001001 --as qingquan
	MINSHENG_DEBUG=1 $(BIN)/minsheng dispatch_tasks --theme graduates --list graduates_unemployed --kind job_seeker --area 150302001 --as xinhua
	MINSHENG_DEBUG=1 $(BIN)/minsheng dispatch_tasks --theme certification --list certification_door_to_door_80plus --kind certification --area 150302001001 --as qingquan
	@# the benefit roll: seeded from the archive, this month's certification, the death reports
	@# waiting for the clerks, and next month's payment run
	MINSHENG_DEBUG=1 $(BIN)/minsheng payroll --seed --month next --as yanglao
	MINSHENG_DEBUG=1 $(BIN)/minsheng certify --silent --visits --as yanglao
	MINSHENG_DEBUG=1 $(BIN)/minsheng collect_deaths --as yanglao
	@echo ""
	@echo "Minsheng is running at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@# The background worker runs the uploads' imports; it stops with the server.
	MINSHENG_DEBUG=1 $(BIN)/minsheng worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Background worker running (pid $$worker): it imports the uploaded files"; \
	MINSHENG_DEBUG=1 $(BIN)/minsheng runserver $(HOST):$(PORT) --noreload

clean:
	rm -rf var .venv
