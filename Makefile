# Two commands for a newcomer: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH_STAMP := $(VENV)/.installed-torch
DEMO_STAMP  := $(VENV)/.installed-demo
TEST_STAMP  := $(VENV)/.installed-test
DEMO_INDEX := .baocao/demo-index
DEMO_QUESTION := Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
CHROMIUM := /usr/bin/chromium
# Tesseract and its Vietnamese model read scanned pages and photos offline (Debian packages)
TESSERACT_VIE := /usr/share/tesseract-ocr/5/tessdata/vie.traineddata

.PHONY: demo ui test setup ocr clean

setup: $(TEST_STAMP)

# torch first: the pinned CPU build; a plain `torch` requirement would pull a CUDA build of several GB.
$(TORCH_STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "baocao needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	touch $@

# The demo: the project and its web page only (`[demo]`): no llama-cpp-python to build, no test tools.
$(DEMO_STAMP): pyproject.toml $(TORCH_STAMP)
	$(BIN)/pip install --quiet -e '.[demo]'
	touch $@

# Everything the tests use; llama-cpp-python builds from source (about 6 minutes on 2 cores): portable CPU flags
$(TEST_STAMP): pyproject.toml $(TORCH_STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(DEMO_STAMP)

# Debian's chromium drives the browser test (playwright never downloads a browser).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then S=; else S=sudo; fi; \
	$$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -qq chromium

$(TESSERACT_VIE):
	@if [ "$$(id -u)" = 0 ]; then S=; else S=sudo; fi; \
	$$S apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$S apt-get install -y -qq tesseract-ocr tesseract-ocr-vie

# OCR of scans and photos (the sample reports are text: the demo does not need it)
ocr: $(TESSERACT_VIE)

demo: $(DEMO_STAMP)
	$(BIN)/baocao ingest data/sample_reports --index $(DEMO_INDEX)
	$(BIN)/baocao docs --index $(DEMO_INDEX)
	$(BIN)/baocao ask "$(DEMO_QUESTION)" --index $(DEMO_INDEX)
	@echo "Giao diện web (web page): http://127.0.0.1:7860  (Ctrl-C để dừng / to stop)"
	$(BIN)/baocao ui --index $(DEMO_INDEX)

ui: $(DEMO_STAMP) $(TESSERACT_VIE)
	$(BIN)/baocao ingest data/sample_reports --index $(DEMO_INDEX)
	$(BIN)/baocao ui --index $(DEMO_INDEX)

test: $(TEST_STAMP) $(CHROMIUM) $(TESSERACT_VIE)
	$(BIN)/python -m pytest

# The quick tier while working (under 3 minutes on 2 cores): no browser, servers, subprocess CLIs,
# OCR of whole pages, LLM or big ingests (tests marked `slow`, see tests/conftest.py). CI runs `make test`.
.PHONY: test-fast
test-fast: $(TEST_STAMP) $(TESSERACT_VIE)
	$(BIN)/python -m pytest -m "not slow" --durations=10

clean:
	rm -rf $(VENV) .baocao .pytest_cache *.egg-info
