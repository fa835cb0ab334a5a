# Collabdesk: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-requirements
PORT   ?= 8501

.PHONY: run test setup install lint bench clean-db shared shared-stop

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# Migrate COLLABDESK_DB, seed demo data when empty, create the first admin when there is none.
setup: $(STAMP)
	$(BIN)/python -m lib setup --skip-if-locked

run: setup
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

test: setup
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench

# Two app servers (ports 8501, 8502) on one shared PostgreSQL store in data/pg, with demo data
# (scripts/shared.sh; COLLABDESK_STORE, docs/scale-out.md). `make shared-stop` stops all three.
shared: $(STAMP)
	VENV_BIN=$(BIN) bash scripts/shared.sh start

shared-stop:
	bash scripts/shared.sh stop
