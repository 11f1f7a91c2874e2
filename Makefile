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

.PHONY: all deps configure build check unit unit-asan agent step integration demo install bench fuzz clean

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
check: unit unit-asan agent step integration fuzz-smoke

demo: build
	@examples/demo.sh $(BUILDDIR)

install: build
	@$(WAF) install --destdir="$(DESTDIR)"

bench: build
	@bench/run.sh $(BUILDDIR)

fuzz:
	@tests/fuzz/run.sh

# Every fuzz target for 60 s from the seeds in tests/fuzz/corpus/: part of
# make check, so fuzzing cannot rot.  Longer: make fuzz FUZZ_SECONDS=N.
.PHONY: fuzz-smoke
fuzz-smoke:
	@tests/fuzz/run.sh 60

clean:
	rm -rf $(BUILDDIR) $(ASANDIR) .lock-waf-*
