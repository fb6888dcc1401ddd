# berth: `make` builds, `make check` builds and runs every test, `make demo`
# builds and shows a container running.  check and demo first install the
# Debian packages they need (idempotent; needs root and apt).

BUILD ?= build
BUILD_ASAN ?= build-asan

BUILD_DEPS = meson ninja-build pkg-config gcc libc6-dev libjansson-dev libseccomp-dev libcmocka-dev \
	libarchive-dev libssl-dev libzstd-dev liblzma-dev libnftables-dev libmnl-dev libnl-3-dev libnl-route-3-dev \
	libcurl4-openssl-dev zlib1g-dev
TEST_DEPS = bats busybox-static jq iproute2 conntrack util-linux bsdutils procps podman containerd uidmap python3 \
	skopeo zstd xz-utils docker-registry apache2-utils python3-jwt python3-cryptography openssl debootstrap

.PHONY: all build deps check demo bench clean format

all: build

build:
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) >/dev/null
	ninja -C $(BUILD)

deps:
	@./tests/install-deps.sh $(BUILD_DEPS) $(TEST_DEPS)

check: deps build
	@test -f $(BUILD_ASAN)/build.ninja || meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Dbuildtype=debug -Db_lundef=false >/dev/null
	ninja -C $(BUILD_ASAN)
	./tests/run-all.sh

demo: deps build
	./demo/demo.sh

bench: build
	./bench/run-bench.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
