# Two commands do all set-up on a fresh machine (see README):
#   make gate   - the deployment gate against the embedded reference service
#   make test   - the suite's own tests (what CI runs)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: gate test install browser lint lock
# Two jobs: npm and the browser check run beside the Python installs (the steps that share .venv
# are ordered below, so they never run at once).
MAKEFLAGS += -j2

# uv installs the pinned set (constraints.txt) with parallel downloads and compiles its bytecode on
# both cores: 22 s on a fresh machine where pip took 57 s. It is pinned like everything else.
UV_VERSION := 0.13.9
# --system-certs: the machine's own CA store (as pip uses it), for networks that inspect TLS.
UV_INSTALL := $(BIN)/uv pip install --python $(BIN)/python --quiet --system-certs --compile-bytecode -c constraints.txt

$(PY_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV_INSTALL) -e .
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Compiled once here, read (not written) by every later process. Where PYTHONDONTWRITEBYTECODE is
# set (this machine's image sets it), each Python process would otherwise compile the project's
# modules from source (uv compiles the installed packages), and each pytest session of the suite's
# own tests would rewrite the asserts of every module of its plugins' packages (about 380 modules of
# Hypothesis, Schemathesis and the rest: 4 CPU-seconds). pytest reads its cached rewrites even where
# it may not write them, so the collection below writes them with the variable unset. (Contract
# runs assert plainly and need no rewrites: otp_suite.contract.runner.)
BYTECODE_STAMP := $(VENV)/.bytecode

$(BYTECODE_STAMP): $(PY_STAMP)
	$(BIN)/python -m compileall -q -j 0 src load contract_tests tests benchmarks
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest tests -n 0 -p no:cacheprovider --collect-only -q > /dev/null
	touch $@

install: $(PY_STAMP) $(NODE_STAMP) $(BYTECODE_STAMP)

browser:
	bash scripts/install-browser.sh

gate: install
	$(BIN)/otp-suite gate

# Lint (ruff, mypy, the OpenAPI linters), the parallel part, then the tests that measure a load run
# against its schedule, alone (`solo`): beside three other workers a 2-core machine cannot keep an
# arrival schedule. All three always run; any one failing fails the command. (Lint beside the
# parallel part saved nothing: that part keeps both cores busy.)
LINT_STAMP := $(VENV)/.lint-installed

test: install browser $(LINT_STAMP)
	$(MAKE) --no-print-directory lint; lint=$$?; $(BIN)/pytest -m "not solo"; parallel=$$?; $(BIN)/pytest -m solo -n 0; solo=$$?; exit $$((lint | parallel | solo))

# After the bytecode step: both write into .venv, and the collections there must not see a package half installed.
$(LINT_STAMP): $(PY_STAMP) | $(BYTECODE_STAMP)
	$(UV_INSTALL) -e '.[lint]'
	touch $@

# One standard for every Python folder (configured in pyproject.toml): ruff's rules and format; mypy
# --strict over src/otp_suite, contract_tests and load (its `files`); tests and benchmarks as httpx
# checks its tests: strict, but a function may go without annotations (its body is still checked).
# Then the OpenAPI linters.
lint: install $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --allow-untyped-defs tests benchmarks
	$(BIN)/openapi-spec-validator openapi.yaml
	npx --no-install redocly lint openapi.yaml

# Re-pin every transitive dependency after changing pyproject.toml.
lock:
	$(BIN)/uv pip freeze --python $(BIN)/python --exclude-editable | grep -v '^otp-suite\|^uv==\|^pip==\|^setuptools==' > constraints.txt
