# The two commands of the README:  `make demo`  and  `make test`.
# Both create .venv with the pinned versions of constraints.txt on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= spark,dev,bench,mlflow

.PHONY: install chromium demo test test-all bench clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

# tests/test_report_browser.py opens the HTML report in Debian's chromium: installed here when missing
# (as root with apt-get); anywhere else a missing chromium stops the tests with the fix.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the report's browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: install Debian's chromium (apt-get install -y chromium) to run the tests" >&2; \
	    exit 1; \
	  fi; }
	@command -v chromium >/dev/null 2>&1 || { echo "chromium is still missing after apt-get install" >&2; exit 1; }

demo: install
	$(VENV)/bin/genesis demo

# pytest exits 5 when it collected no test: that must fail, not pass silently.
test: install chromium
	$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-all: install chromium
	$(PY) -m pytest -m "slow or not slow"

clean:
	rm -rf $(VENV) build dist *.egg-info lakehouse demo_output spark-warehouse
