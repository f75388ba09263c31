# cowprobe: top-level build. Userspace goes through CMake, the module through
# Kbuild (one build tree per kernel), everything else through tools/.
#
#   make             build the userspace tools (build/host)
#   make demo        set up, build, boot Debian 6.12 in QEMU and explain the
#                    seed programs' copy-on-write faults with kernel counts
#   make test        set up, build, run every test: unit, style, VM (6.1, 6.12,
#                    debug: 6.12 built with KASAN, lockdep, kmemleak, UBSAN)
#   make module      build cowprobe.ko for KERNEL (a line: 6.1, 6.12) or, with
#                    KDIR=..., for any kernel build tree
#   make host-demo   the demo on this machine's own kernel (needs module
#                    loading and its headers in /lib/modules/`uname -r`/build)
#   make matrix      every kernel line (5.10 6.1 6.12 6.12-rt 7.2 debug, or
#                    KERNELS="6.1 7.2"): build, boot, run the whole scenario
#                    suite, table + build/matrix.json + KTAP, and in
#                    build/matrix kcidb.json (KCIDB) and index.html (the
#                    page); MATRIX_JOBS=2 boots two lines at once
#   make bench       the module's cost per CoW fault, fork and thread, in guest instructions (QEMU -icount)
#   make style       checkpatch, clang-format, clang-tidy
#   make deb         Debian packages cowprobe and cowprobe-dkms (build/deb),
#                    lintian on both
#   make lab         the lab VM (Debian 12, systemd, the packages): build it
#                    (cached) and boot it to a login on this terminal
BUILD ?= build
KERNEL ?= 6.12
KERNELS ?= 6.1 6.12 debug
JOBS ?= $(shell nproc)
HOST := $(BUILD)/host

all: userspace

setup:
	tools/setup-deps

$(HOST)/CMakeCache.txt:
	cmake -S . -B $(HOST) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCOWPROBE_VM_KERNELS="$(KERNELS)"

userspace: $(HOST)/CMakeCache.txt
	cmake --build $(HOST) -j $(JOBS)

ifdef KDIR
module:
	tools/kernel/build-module $(KDIR) $(BUILD)/kmod/custom
else
module:
	eval "$$(tools/kernel/fetch $(KERNEL))" && \
		tools/kernel/build-module "$$KDIR" $(BUILD)/kmod/"$$KVER"
endif

demo: setup userspace
	COWPROBE_BIN=$(CURDIR)/$(HOST)/bin tools/vm/run --kernel $(KERNEL) --add tools/demo/seed-demo:/usr/local/bin/seed-demo -- seed-demo

host-demo: userspace
	tools/kernel/build-module /lib/modules/$$(uname -r)/build $(BUILD)/kmod/host
	insmod $(BUILD)/kmod/host/kmod/cowprobe.ko
	PATH=$(CURDIR)/$(HOST)/bin:$$PATH tools/demo/seed-demo; rc=$$?; rmmod cowprobe; exit $$rc

test: setup userspace
	cmake -S . -B $(HOST) -DCOWPROBE_VM_KERNELS="$(KERNELS)" >/dev/null
	# -j 3: the VM tests share two vCPU slots (RESOURCE_LOCK vm and vm2: a
	# guest of two vCPUs holds both, two one-vCPU guests can run at once);
	# builds that need no VM (style, the debug kernel, the lab image) run
	# beside them
	ctest --test-dir $(HOST) --output-on-failure --timeout 1800 -j 3

# KERNELS given on the command line picks the matrix's lines too; its
# default (the lines of make test) does not.
ifeq ($(origin KERNELS),command line)
MATRIX_KERNELS ?= $(KERNELS)
endif
MATRIX_KERNELS ?= 5.10 6.1 6.12 6.12-rt 7.2 debug
MATRIX_REPEAT ?= 10
MATRIX_JOBS ?= 1
matrix: setup userspace
	COWPROBE_BIN=$(CURDIR)/$(HOST)/bin tools/matrix --repeat $(MATRIX_REPEAT) \
		--jobs $(MATRIX_JOBS) $(MATRIX_KERNELS)

bench: setup userspace
	COWPROBE_BIN=$(CURDIR)/$(HOST)/bin tools/bench/run $(BENCH_ARGS)

style: userspace
	tools/style/check $(HOST)

deb: setup
	tools/deb/build $(BUILD)/deb

lab: deb
	tools/lab/run --kernel $(KERNEL) --debs $(BUILD)/deb

clean:
	rm -rf $(BUILD)

.PHONY: all setup userspace module demo host-demo test matrix bench style deb lab clean
