# The two commands of the README:  `make demo`  and  `make test`.
# Both create .venv with the pinned versions of constraints.txt on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= spark,dev,bench,mlflow

.PHONY: install demo test test-all bench clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.py constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

demo: install
	$(VENV)/bin/genesis demo

# pytest exits 5 when it collected no test: that must fail, not pass silently.
test: install
	$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-all: install
	$(PY) -m pytest -m "slow or not slow"

clean:
	rm -rf $(VENV) build dist *.egg-info lakehouse demo_output spark-warehouse
