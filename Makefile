# Two commands for a newcomer: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_INDEX := .baocao/demo-index
DEMO_QUESTION := Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: demo test setup clean

setup: $(STAMP)

# torch first: the pinned CPU build; a plain `torch` requirement would pull a CUDA build of several GB.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "baocao needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python builds from source (about 6 minutes on 2 cores); portable CPU flags
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/baocao ingest data/sample_reports --index $(DEMO_INDEX)
	$(BIN)/baocao docs --index $(DEMO_INDEX)
	$(BIN)/baocao search "$(DEMO_QUESTION)" --index $(DEMO_INDEX) -k 3

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .baocao .pytest_cache *.egg-info
