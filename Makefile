# SPDX-License-Identifier: GPL-2.0
#
# dm-testkit: device-mapper targets for testing storage stacks.
#
#   make               build the three modules and the userspace tools
#   make test [T=...]  everything a change must pass (host set-up included)
#        [KERNEL=6.12]   on Debian's 6.12 cloud kernel instead of 6.1
#        [GEOMETRY=4096] the VM cases on 4096-byte logical block devices
#        [VM_ONLY=1]     only the VM suite (no build, lint, unit steps)
#   make demo          boot the test VM and show each target at work
#   make test-tool     host cases of dmreplay over file logs (tests/tool/)
#   make fuzz-tool     fuzz dmreplay [COUNT=N | SECONDS=N (default 60)] [SEED=S]
#   make bench         benchmarks against the stock targets (not in CI)
#   make bench-scaling how each target's cost grows (queue depth, rules, log size)
#   make fstests FSTESTS=<fstests tree> [TESTS="generic/482 ..."]
#        [FSTYP=ext4|xfs] [TARGETS=kit|stock] [KERNEL=6.12]
#                      fstests' dm tests in a Debian-userspace VM, stock
#                      targets vs the kit (docs/fstests.md; not in CI)
#   make rootfs-smoke   boots the fstests VM's image once with the kit (.ci/run)
#   make test-fstests-host  host checks of make fstests' scripts (no VM)
#   make lint          checkpatch --strict and sparse on the kernel sources
#   make fuzz-host [SECONDS=N]  libFuzzer harnesses on the host, N s each
#   make install       modules_install into extra/ and depmod (real hosts)
#
# KDIR selects the kernel tree to build against. Without it: the running
# kernel's /lib/modules/$(uname -r)/build if present, else the headers of the
# project's test kernel (installed on demand by scripts/setup.sh).

CURDIR_ := $(CURDIR)
SETUP := $(CURDIR_)/scripts/setup.sh
CACHE := $(CURDIR_)/.cache

HOST_KDIR := $(wildcard /lib/modules/$(shell uname -r)/build)
# The test kernel's headers; evaluated lazily, after setup has run.
TEST_KDIR = /usr/src/linux-headers-$(shell cat $(CACHE)/kernel/abi)

ifeq ($(origin KDIR),undefined)
  ifneq ($(HOST_KDIR),)
    KDIR := $(HOST_KDIR)
  endif
endif

CC ?= cc
PREFIX ?= /usr/local
USER_CFLAGS := -O2 -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-D_GNU_SOURCE -I$(CURDIR_)/include
TOOLS := dm-replay/dmreplay dm-replay/dmtk-replay-log tests/torture/dmtk-torture tests/fuzz/dmtk-fuzz
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:.c=)

.PHONY: all modules test-modules tools unit unit-build clean install lint test demo \
	bench bench-scaling torture setup kernel-setup fstests rootfs-smoke test-fstests-host test-tool fuzz-tool \
	fuzz-host fuzz-host-build \
	fuzz-host-cov FORCE

all: modules tools

setup:
	@$(SETUP)

kernel-setup:
	@$(SETUP) --kernel-only

# Without KDIR and without host headers, fall back to the test kernel.
modules:
ifeq ($(KDIR),)
	@$(SETUP) --kernel-only
	$(MAKE) -C $(TEST_KDIR) M=$(CURDIR_) W=1 modules
else
	$(MAKE) -C $(KDIR) M=$(CURDIR_) W=1 modules
endif

# Modules for the VM, always against the test kernel's headers.
test-modules: kernel-setup
	$(MAKE) -C $(TEST_KDIR) M=$(CURDIR_) W=1 modules

# A tool is built once its source exists (they land issue by issue).
tools:
	@for t in $(TOOLS); do [ -f $$t.c ] || continue; \
		$(MAKE) --no-print-directory $$t || exit 1; done

DMREPLAY_SRCS := $(wildcard dm-replay/dmreplay*.c) dm-replay/replay-log.c dm-replay/replay-lw.c \
	dm-replay/crash-gen.c
# dmtk-replay-log: replay-log's command line over dmreplay's reader.
RL_SRCS := dm-replay/dmtk-replay-log.c dm-replay/dmtk-rl-run.c dm-replay/dmreplay-msg.c \
	dm-replay/dmreplay-log.c dm-replay/dmreplay-lw.c dm-replay/dmreplay-io.c \
	dm-replay/dmreplay-target.c dm-replay/replay-log.c dm-replay/replay-lw.c
DMREPLAY_HDRS := dm-replay/dmreplay.h dm-replay/crash-gen.h include/dm-replay-log.h \
	include/dm-log-writes-format.h \
	include/dmtk-compat.h include/dmtk-prng.h

dm-replay/dmreplay: $(DMREPLAY_SRCS) $(DMREPLAY_HDRS)
	$(CC) $(USER_CFLAGS) -o $@ $(DMREPLAY_SRCS) -ldevmapper

dm-replay/dmtk-replay-log: $(RL_SRCS) $(DMREPLAY_HDRS) dm-replay/dmtk-replay-log.h
	$(CC) $(USER_CFLAGS) -o $@ $(RL_SRCS)

# Host tests of dmreplay (tests/tool/): the tool under ASan and UBSan, the
# log writer, and the tool fuzzer. make test-tool [T="001 005"];
# make fuzz-tool [COUNT=N | SECONDS=N] [SEED=S].
TOOL_OUT := out/tool
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

$(TOOL_OUT)/dmreplay-san: $(DMREPLAY_SRCS) $(DMREPLAY_HDRS)
	@mkdir -p $(TOOL_OUT)
	$(CC) $(USER_CFLAGS) $(SAN_CFLAGS) -o $@ $(DMREPLAY_SRCS) -ldevmapper

$(TOOL_OUT)/dmr-mklog: tests/tool/dmr-mklog.c tests/tool/logbuild.h dm-replay/replay-log.c \
		include/dm-replay-log.h include/dmtk-compat.h
	@mkdir -p $(TOOL_OUT)
	$(CC) $(USER_CFLAGS) $(SAN_CFLAGS) -o $@ $<

$(TOOL_OUT)/dmr-mklw: tests/tool/dmr-mklw.c dm-replay/replay-log.c dm-replay/replay-lw.c \
		include/dm-log-writes-format.h include/dm-replay-log.h include/dmtk-compat.h
	@mkdir -p $(TOOL_OUT)
	$(CC) $(USER_CFLAGS) $(SAN_CFLAGS) -o $@ $<

$(TOOL_OUT)/dmr-fuzz-tool: tests/tool/dmr-fuzz-tool.c tests/tool/logbuild.h \
		dm-replay/replay-log.c include/dm-replay-log.h include/dmtk-compat.h include/dmtk-prng.h
	@mkdir -p $(TOOL_OUT)
	$(CC) $(USER_CFLAGS) $(SAN_CFLAGS) -o $@ $<

$(TOOL_OUT)/dmtk-replay-log-san: $(RL_SRCS) $(DMREPLAY_HDRS) dm-replay/dmtk-replay-log.h
	@mkdir -p $(TOOL_OUT)
	$(CC) $(USER_CFLAGS) $(SAN_CFLAGS) -o $@ $(RL_SRCS)

# FSTESTS=<fstests tree>: the cases comparing with its replay-log build it.
test-tool: $(TOOL_OUT)/dmreplay-san $(TOOL_OUT)/dmr-mklog $(TOOL_OUT)/dmr-mklw \
		$(TOOL_OUT)/dmtk-replay-log-san
	@MKLW=$(CURDIR_)/$(TOOL_OUT)/dmr-mklw RLOG=$(CURDIR_)/$(TOOL_OUT)/dmtk-replay-log-san \
		tests/tool/run.sh $(CURDIR_)/$(TOOL_OUT)/dmreplay-san $(CURDIR_)/$(TOOL_OUT)/dmr-mklog $(T)

fuzz-tool: $(TOOL_OUT)/dmreplay-san $(TOOL_OUT)/dmr-fuzz-tool
	@$(TOOL_OUT)/dmr-fuzz-tool --tool $(CURDIR_)/$(TOOL_OUT)/dmreplay-san \
		--seed $(or $(SEED),1) $(if $(COUNT),--count $(COUNT),--seconds $(SECONDS))

tests/torture/dmtk-torture: tests/torture/dmtk-torture.c include/dmtk-prng.h
	$(CC) $(USER_CFLAGS) -pthread -o $@ $<

tests/fuzz/dmtk-fuzz: tests/fuzz/dmtk-fuzz.c include/dmtk-prng.h
	$(CC) $(USER_CFLAGS) -pthread -o $@ $< -ldevmapper

# Each unit test #includes the file under test; see tests/unit/unit.h.
tests/unit/test-%: tests/unit/test-%.c tests/unit/unit.h FORCE
	$(CC) $(USER_CFLAGS) -fsanitize=address,undefined -o $@ $<

unit-build: $(UNIT_BINS)

# Host fuzzing (tests/fuzz-host/): libFuzzer harnesses of the kernel-free
# parsers and decoders, built with clang, ASan and UBSan; see docs/testing.md.
FUZZ_CC ?= $(firstword $(shell command -v clang-14 clang 2>/dev/null) clang)
FUZZ_WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -D_GNU_SOURCE -I$(CURDIR_)/include
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(FUZZ_WARN)
FUZZ_TOOL_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all $(FUZZ_WARN)
FUZZ_BIN := out/fuzz-host/bin
FUZZ_HARNESSES := inject-rules verify-opts replay-log replay-lw
SECONDS ?= 60

$(FUZZ_BIN)/fuzz-%: tests/fuzz-host/fuzz-%.c tests/fuzz-host/fuzz-host.h FORCE
	@mkdir -p $(FUZZ_BIN)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $<

# The tool's harness links what the tool links: it includes dmreplay.c,
# replay-log.c and crash-gen.c and links the verbs.
$(FUZZ_BIN)/fuzz-dmreplay: tests/fuzz-host/fuzz-dmreplay.c tests/fuzz-host/log-fixup.h \
		$(DMREPLAY_SRCS) $(DMREPLAY_HDRS) FORCE
	@mkdir -p $(FUZZ_BIN)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter-out dm-replay/dmreplay.c \
		dm-replay/replay-log.c dm-replay/crash-gen.c,$(DMREPLAY_SRCS)) -ldevmapper

$(FUZZ_BIN)/mklog $(FUZZ_BIN)/blkdebug-prop: $(FUZZ_BIN)/%: tests/fuzz-host/%.c FORCE
	@mkdir -p $(FUZZ_BIN)
	$(FUZZ_CC) $(FUZZ_TOOL_CFLAGS) -o $@ $<

fuzz-host-build: $(FUZZ_HARNESSES:%=$(FUZZ_BIN)/fuzz-%) $(FUZZ_BIN)/fuzz-dmreplay \
		$(FUZZ_BIN)/mklog $(FUZZ_BIN)/blkdebug-prop

fuzz-host: fuzz-host-build
	@tests/fuzz-host/run.sh -t $(SECONDS) -o $(CURDIR_)/out/fuzz-host

# Lines and branches of the code under test that the corpora reach (llvm-14).
fuzz-host-cov:
	@tests/fuzz-host/coverage.sh -o $(CURDIR_)/out/fuzz-host

unit: unit-build
	@for t in $(UNIT_BINS); do ./$$t || exit 1; done

clean:
	-$(MAKE) -C $(or $(KDIR),$(TEST_KDIR)) M=$(CURDIR_) clean 2>/dev/null
	rm -f $(TOOLS) $(UNIT_BINS)
	rm -rf out

# kbuild's modules_install runs depmod for the kernel it builds against.
install: modules
	$(MAKE) -C $(or $(KDIR),$(TEST_KDIR)) M=$(CURDIR_) INSTALL_MOD_DIR=extra \
		modules_install
	$(MAKE) --no-print-directory tools
	install -D -m 755 dm-replay/dmreplay $(DESTDIR)$(PREFIX)/sbin/dmreplay
	install -D -m 755 dm-replay/dmtk-replay-log $(DESTDIR)$(PREFIX)/sbin/dmtk-replay-log
	install -D -m 644 docs/dmreplay.8 $(DESTDIR)$(PREFIX)/share/man/man8/dmreplay.8
	install -D -m 644 docs/dmtk-replay-log.8 $(DESTDIR)$(PREFIX)/share/man/man8/dmtk-replay-log.8
	install -D -m 755 scripts/dmtk-regress $(DESTDIR)$(PREFIX)/sbin/dmtk-regress
	install -d $(DESTDIR)$(PREFIX)/share/dm-testkit/fio
	install -m 644 scripts/fio/*.fio $(DESTDIR)$(PREFIX)/share/dm-testkit/fio/

lint: kernel-setup
	@scripts/lint.sh

test:
	@scripts/run-tests.sh $(if $(T),--only "$(T)") $(if $(KERNEL),--kernel $(KERNEL)) \
		$(if $(GEOMETRY),--geometry $(GEOMETRY)) $(if $(VM_ONLY),--vm-only)

demo:
	@scripts/run-demo.sh

bench:
	@scripts/run-bench.sh

fstests:
	@scripts/run-fstests.sh --fstests "$(FSTESTS)" $(if $(TESTS),--tests "$(TESTS)") \
		$(if $(FSTYP),--fstyp $(FSTYP)) $(if $(TARGETS),--targets "$(TARGETS)") \
		$(if $(KERNEL),--kernel $(KERNEL)) $(if $(CASE_TIMEOUT),--case-timeout $(CASE_TIMEOUT))

rootfs-smoke:
	@scripts/rootfs-smoke.sh $(if $(KERNEL),--kernel $(KERNEL))

test-fstests-host:
	@tests/fstests-host/run.sh

bench-scaling:
	@scripts/run-bench-scaling.sh

torture:
	@scripts/run-tests.sh --torture "$(SEED)" "$(OPS)"

FORCE:
