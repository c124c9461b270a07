# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test browser lint bench train train-encoder clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/guardstream demo $(ARGS)

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(ARGS)

# The drift report's browser test needs Debian's chromium; as root, install it where absent.
# If that fails (no root, no apt), the test skips and says why.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	   >/dev/null) || echo "chromium could not be installed: the browser test will skip"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

train: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/guardstream train $(ARGS)

# The cascade encoder: a CPU fine-tune of MiniLM-L6 (about an hour on two cores), in its own
# venv because torch is a build-time tool only. Resumable: finished steps are skipped.
TRAIN_VENV := .venv-train
train-encoder: $(STAMP)
	test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install --quiet -e '.[train]' torch==2.13.0 onnx safetensors
	$(TRAIN_VENV)/bin/python -m guardstream.models.training.encoder.build $(ARGS)

bench: $(STAMP)
	$(BIN)/guardstream bench detectors $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
