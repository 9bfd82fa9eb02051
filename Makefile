# The two commands of README.md, plus the pieces they are made of.
BUILD_DIR ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build test demo bench install docs clean

all: build

deps:
	@bash contrib/deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR)

test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure --timeout 600

demo: build
	@bash contrib/demo.sh $(BUILD_DIR)

# Benchmarks print figures (see bench/); they are not part of `make test`.
bench: build
	@$(BUILD_DIR)/bench/monitor_bench
	@$(BUILD_DIR)/bench/storage_bench
	@$(BUILD_DIR)/bench/pull_bench
	@bench/pod_bench.sh $(BUILD_DIR)
	@bench/container_bench.sh $(BUILD_DIR)
	@bench/stream_bench.sh $(BUILD_DIR)

install: build
	@cmake --install $(BUILD_DIR)

# Regenerates docs/crio.conf.5.md from the option table (a unit test checks it is current).
docs: build
	@$(BUILD_DIR)/src/crio config --reference > docs/crio.conf.5.md

clean:
	@rm -rf $(BUILD_DIR)
