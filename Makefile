# rvss — thin front end over waf (wscript).  Every target prepares what it
# needs: Debian packages (tools/setup-deps.sh) and the Samba source tree that
# matches the installed smbd (tools/prepare-samba.sh, cached per version).
#
#   make              build rvss.so, fsrvp_agent and the unit tests
#   make check        all tests: unit, unit under ASan+UBSan, agent CLI,
#                     step client, integration (real smbd)
#   make demo         the FSRVP walk-through on a throw-away btrfs
#   make install DESTDIR=DIR
#   make bench        benchmarks (figures and ratios, no pass/fail)
#   make bench-send   only the off-box copy benchmark (bench/send.sh, ~3 min)
#   make soak         long run on one server: fds/RSS curve, no leak (bench/soak.sh)
#   make crash        kill -9 of rpcd_fsrvp inside Commit/Delete, then gc (bench/crash.sh)
#   make bench-nested Commit time vs nested subvolumes (bench/nested.sh)
#
#   make TARGET SUITE=S   the same target for Debian suite S's Samba, inside a
#                         chroot of S (tools/suite.sh), in build-S/.  S is one
#                         of bookworm, bookworm-backports, trixie,
#                         trixie-backports, forky.  The host's own suite runs
#                         on the host itself.
#   make check-all        make check for every suite, with timings
#   make deb [SUITE=S]    the Debian package samba-vfs-rvss for suite S (default
#                         the host's), lintian-clean, in build/deb/S/
#   make deb-check [SUITE=S]  make deb, then install, use, upgrade, remove and
#                         purge it in a pristine chroot of S (tools/deb.sh)
#
# BUILDDIR selects the waf output directory (default build/), so several
# builds can share one checkout.

BUILDDIR ?= build
ASANDIR  ?= $(BUILDDIR)-asan
PYTHON   ?= /usr/bin/python3
DESTDIR  ?=

WAF_STAMP = $(BUILDDIR)/.samba-src
WAF = WAFLOCK=.lock-waf-$(notdir $(BUILDDIR)) $(PYTHON) "$$(cat $(WAF_STAMP))/buildtools/bin/waf"
WAF_ASAN = WAFLOCK=.lock-waf-$(notdir $(ASANDIR)) $(PYTHON) "$$(cat $(WAF_STAMP))/buildtools/bin/waf"

.PHONY: all deps configure build check unit unit-asan agent step integration demo install bench bench-nested bench-send soak crash fuzz clean check-all check-point-release deb deb-check

SUITES     := bookworm bookworm-backports trixie trixie-backports forky
HOST_SUITE := $(shell tools/suite.sh host-suite)

# The Debian package, for SUITE (default: the host's suite): tools/deb.sh
# builds it in that suite's chroot (the host for the host's suite) and tests
# it in a pristine one.  Outside the per-suite block: tools/deb.sh picks the
# chroot itself.
DEB_SUITE := $(or $(SUITE),$(HOST_SUITE))
deb:
	@tools/deb.sh build $(DEB_SUITE)

deb-check:
	@tools/deb.sh check $(DEB_SUITE)

ifneq ($(filter-out $(HOST_SUITE),$(SUITE)),)
# ---------------------------------------------------------------------------
# Another Debian suite: the same target, run by make inside that suite's
# chroot against its own Samba, in build-$(SUITE)/ of this checkout.
ifeq ($(filter $(SUITE),$(SUITES)),)
$(error SUITE=$(SUITE) is not one of: $(SUITES))
endif
IN_SUITE = tools/suite.sh $(SUITE) run make BUILDDIR=build-$(SUITE)

all build configure check unit unit-asan agent step integration demo bench bench-nested bench-send soak crash fuzz fuzz-smoke clean:
	@$(IN_SUITE) $@

# Installed inside the chroot into a staging directory of the checkout, then
# copied to DESTDIR: a module built for another suite's Samba never belongs
# in this machine's own Samba, so DESTDIR is required.
install:
	@test -n "$(DESTDIR)" || { echo "rvss: make install SUITE=$(SUITE) needs DESTDIR=DIR" >&2; exit 2; }
	@rm -rf build-$(SUITE)/stage
	@$(IN_SUITE) install DESTDIR=/src/build-$(SUITE)/stage
	@mkdir -p "$(DESTDIR)" && cp -a build-$(SUITE)/stage/. "$(DESTDIR)/"
	@echo "rvss: installed the $(SUITE) build under $(DESTDIR)"

else
# ---------------------------------------------------------------------------
# The host's own Samba.

all: build

deps:
	@tools/setup-deps.sh

$(WAF_STAMP): wscript
	@tools/setup-deps.sh
	@mkdir -p $(BUILDDIR)
	@src=$$(tools/prepare-samba.sh) && \
	  WAFLOCK=.lock-waf-$(notdir $(BUILDDIR)) $(PYTHON) "$$src/buildtools/bin/waf" \
	    configure --prefix=/usr --out=$(BUILDDIR) --samba-src="$$src" && \
	  echo "$$src" > $(WAF_STAMP)

configure: $(WAF_STAMP)

build: $(WAF_STAMP)
	@$(WAF) build

$(ASANDIR)/.configured: $(WAF_STAMP)
	@$(WAF_ASAN) configure --prefix=/usr --out=$(ASANDIR) --sanitize
	@touch $@

unit: build
	@tests/run-unit.sh $(BUILDDIR)

SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# The core's unit tests and the agent's CLI tests, built with ASan+UBSan.
unit-asan: $(ASANDIR)/.configured
	@$(WAF_ASAN) build
	@$(SANITIZER_ENV) tests/run-unit.sh $(ASANDIR)
	@$(SANITIZER_ENV) tests/agent/run.sh $(ASANDIR)

agent: build
	@tests/agent/run.sh $(BUILDDIR)

step: build
	@tests/step/run.sh $(BUILDDIR)

integration: build
	@tests/integration/run.sh $(BUILDDIR)

# The whole suite counts a test that cannot run (not root, no btrfs, no
# smbd) as a failure, not a skip: CI=true for every test it runs.  Single
# targets (make unit, ...) still skip, loudly, on a developer's machine.
check: export CI := true
check: unit unit-asan agent step integration

demo: build
	@examples/demo.sh $(BUILDDIR)

install: build
	@$(WAF) install --destdir="$(DESTDIR)"

bench: build
	@bench/run.sh $(BUILDDIR)

bench-send: build
	@bench/send.sh $(BUILDDIR)

# Not part of make check: figures, and an exit status only for a leak, a
# corruption, an orphan, a lost backup or a blocked server (never a time).
soak: build
	@bench/soak.sh $(BUILDDIR)

crash: build
	@bench/crash.sh $(BUILDDIR)

# Commit time vs nested subvolumes (also section 6 of make bench)
bench-nested: build
	@bench/nested.sh $(BUILDDIR)

fuzz:
	@tests/fuzz/run.sh

# Every fuzz target for 60 s from the seeds in tests/fuzz/corpus/: part of
# make check-all (once, on the host: the parsers do not depend on Samba's
# release), so fuzzing cannot rot.  Longer: make fuzz FUZZ_SECONDS=N.
.PHONY: fuzz-smoke
fuzz-smoke:
	@tests/fuzz/run.sh 60

clean:
	rm -rf $(BUILDDIR) $(ASANDIR) .lock-waf-*

endif

# Every supported suite, one after the other, each with its wall time;
# the last line counts the suites that passed.
check-all:
	@tools/check-all.sh $(SUITES)

# The module built for bookworm-backports' Samba 4.22.6 under trixie's
# 4.22.11 smbd: a Samba point or security update needs no rebuild.
check-point-release:
	@$(MAKE) --no-print-directory build SUITE=bookworm-backports
	@$(MAKE) --no-print-directory build SUITE=trixie
	@tools/check-point-release.sh bookworm-backports trixie
