# Thin wrapper around CMake, in the manner of Neovim's: `make run` and
# `make test` are the README's quick start.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
PORT ?= 8080
FUZZ_SECONDS ?= 20

.PHONY: all deps build run test unit fuzz fuzz-build e2e asan asan-test clean format

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/yunhui --http-port $(PORT) $(ARGS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

fuzz-build: deps
	CC=clang cmake -S . -B build-fuzz -DYH_FUZZ=ON -DYH_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j$(JOBS)

# Runs every fuzz target briefly over its corpus; a crash fails the run.
fuzz: fuzz-build
	tests/fuzz/run-all build-fuzz $(FUZZ_SECONDS)

e2e: build
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	node --test --test-concurrency=1 tests/e2e/

test: build unit fuzz e2e

asan:
	cmake -S . -B build-asan -DYH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j$(JOBS)

asan-test: asan
	cd build-asan && ctest --output-on-failure -j$(JOBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
