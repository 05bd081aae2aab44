# The README's two commands: `make demo` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= .demo

.PHONY: demo test venv system-deps lint bench clean deb deb-check

demo: venv
	$(BIN)/bianmin demo --data-dir $(DEMO_DIR)

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

venv: $(STAMP)

# Debian packages first (python3-venv included), then the project with its test extras.
$(STAMP): pyproject.toml packaging/debian-packages.txt packaging/system-deps.sh
	PYTHON=$(PYTHON) sh packaging/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

system-deps:
	PYTHON=$(PYTHON) sh packaging/system-deps.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python bench/store.py
	$(BIN)/python bench/devices.py
	$(BIN)/python bench/imaging.py
	$(BIN)/python bench/station.py
	$(BIN)/python bench/kiosk.py

# The Debian package (docs/packaging.md): dist/bianmin_<version>_<arch>.deb, then lintian
# and an install into a fresh Debian 12 root (root and the Debian mirror needed). Not part of
# `make test`: minutes, not seconds.
deb: venv
	PYTHON=$(CURDIR)/$(BIN)/python sh packaging/deb/build.sh

deb-check: venv
	sh packaging/check_install.sh

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache
