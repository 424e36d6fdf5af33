# ct-netsuite: nginx module, worker, unit and integration tests.
#
#   make            module + worker + unit test binaries
#   make test       everything CI runs (installs missing packages first)
#   make module     build/ngx_ct_netsuite_module.so against Debian's nginx,
#                   or against an upstream tree with NGX_SRC=/path/to/nginx
#   make SAN=1 ...  the same with AddressSanitizer + UBSan (build-asan/)

SHELL      := /bin/bash
ROOT       := $(abspath .)
PYTHON     ?= /usr/bin/python3
PYTEST_ARGS ?=

ifeq ($(SAN),1)
BUILD      ?= $(ROOT)/build-asan
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer
else
BUILD      ?= $(ROOT)/build
SANFLAGS   :=
endif

CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Wpointer-arith -Wno-unused-parameter -Werror
ALL_CFLAGS := -std=gnu99 -fPIC -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) \
              -I$(ROOT)/lib

# the project's one version number, also the Debian packages' (make deb)
VERSION    := $(shell cat $(ROOT)/VERSION)
ALL_CFLAGS += -DCTNS_VERSION='"$(VERSION)"'
LDLIBS     := -lhiredis -ljansson -lcurl -lssl -lcrypto -lm

LIB_SRCS   := $(wildcard lib/*.c)
LIB_OBJS   := $(LIB_SRCS:lib/%.c=$(BUILD)/lib/%.o)
LIB_HDRS   := $(wildcard lib/*.h)
LIBCTNS    := $(BUILD)/libctns.a

WORKER_SRCS := $(wildcard worker/*.c)
WORKER_OBJS := $(WORKER_SRCS:worker/%.c=$(BUILD)/worker/%.o)
WORKER_HDRS := $(wildcard worker/*.h worker/keys/*.h)
KEYS_SRCS   := $(wildcard worker/keys/*.c)
KEYS_OBJS   := $(KEYS_SRCS:worker/keys/%.c=$(BUILD)/worker/keys/%.o) \
               $(BUILD)/worker/ctns_redis.o $(BUILD)/worker/ctns_log.o

UNIT_SRCS  := $(wildcard t/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:t/unit/%.c=$(BUILD)/unit/%)

MOD_SRCS   := $(wildcard ngx_ct_netsuite_module/*.c ngx_ct_netsuite_module/*.h)
MODULE     := $(BUILD)/ngx_ct_netsuite_module.so
MOD_LIB    := $(wildcard $(patsubst %,lib/ctns_%.[ch],base64 hmac stdwebhooks normalize shard event \
              verify json_span json_check jwks jwt pubsub sns eventgrid stripe_sig cluster))
NGX_BUILD  := $(BUILD)/nginx

PROGRAMS   := $(if $(WORKER_SRCS),$(BUILD)/ctns-worker) \
              $(if $(KEYS_SRCS),$(BUILD)/ctns-keys)

.PHONY: all deps lib module worker unit test check pytest clean test-asan \
        test-asan-module deb

all: module worker $(UNIT_BINS)

lib: $(LIBCTNS)

deps:
	@sh tools/deps.sh

# --- pure library -----------------------------------------------------------

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCTNS): $(LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

# --- worker and key fetcher -------------------------------------------------

worker: $(PROGRAMS)

$(BUILD)/worker/%.o: worker/%.c $(WORKER_HDRS) $(LIB_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -Iworker -c -o $@ $<

$(BUILD)/ctns-worker: $(WORKER_OBJS) $(LIBCTNS)
	@echo "  LD      $@"
	@$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(WORKER_OBJS) $(LIBCTNS) $(LDLIBS)

$(BUILD)/ctns-keys: $(KEYS_OBJS) $(LIBCTNS)
	@echo "  LD      $@"
	@$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $(KEYS_OBJS) $(LIBCTNS) $(LDLIBS)

# --- unit tests ---------------------------------------------------------------

$(BUILD)/unit/%: t/unit/%.c $(wildcard t/unit/*.h) $(LIBCTNS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -It/unit -o $@ $< $(LIBCTNS) $(LDLIBS)

unit: $(UNIT_BINS)
	@$(SHELL) tools/run-unit.sh $(ROOT)/t/fixtures $(UNIT_BINS)

# --- nginx module -------------------------------------------------------------
#
# Debian's nginx-dev tree is read-only and its configure writes objs/ where it
# runs, so it is copied into $(NGX_BUILD).  configure reruns only when the
# addon script or the list of sources changes.

module: $(MODULE)

$(MODULE): config $(MOD_SRCS) $(MOD_LIB)
	@NGX_SRC="$(NGX_SRC)" NGX_BUILD="$(NGX_BUILD)" SANFLAGS="$(SANFLAGS)" \
	    $(SHELL) tools/build-module.sh $(ROOT) $@

# --- tests ----------------------------------------------------------------------

check: unit pytest

pytest: all
	@CTNS_BUILD=$(BUILD) CTNS_SAN=$(SAN) $(PYTHON) -m pytest $(PYTEST_ARGS) t

# The memory-checked run: module and lib with ASan + UBSan (leaks counted
# when a frame of ours allocated them), the module's suites on real nginx.
ASAN_SUITES ?= t/test_ingest.py t/test_status.py t/test_metrics.py \
               t/test_abuse.py t/test_security.py t/test_status_replay.py

# make test: build, unit, the integration suites, the module's suites with
# ASan/UBSan, a bounded fuzz pass over every parser, and a valgrind subset.
CI_FUZZ_SECONDS ?= 5

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory pytest
	@$(MAKE) --no-print-directory test-cluster
	@$(MAKE) --no-print-directory test-asan-module
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CI_FUZZ_SECONDS)
	@$(MAKE) --no-print-directory test-valgrind

# Every suite that talks to Redis again, unchanged, on a 3-master +
# 3-replica Redis Cluster (t/harness/redis_cluster.py); t/test_cluster.py
# brings its own cluster and runs with the rest of t/ in `pytest`.
CLUSTER_SKIP   := t/test_cluster.py t/test_cluster_harness.py t/test_build.py \
                  t/test_deb.py t/test_demo.py t/test_docs.py \
                  t/test_sim_ct.py t/test_sim_netsuite.py
CLUSTER_SUITES ?= $(filter-out $(CLUSTER_SKIP),$(wildcard t/test_*.py))

.PHONY: test-cluster

test-cluster: all
	@CTNS_BUILD=$(BUILD) CTNS_REDIS_MODE=cluster $(PYTHON) -m pytest -q \
	    $(PYTEST_ARGS) $(CLUSTER_SUITES)

# and the cluster routing under the sanitizers: redirections, slot moves,
# failover, the first map of a fresh worker
ASAN_CLUSTER_SUITES ?= t/test_ingest.py t/test_cluster.py

test-asan-module:
	@$(MAKE) --no-print-directory SAN=1 module worker
	@CTNS_BUILD=$(ROOT)/build-asan CTNS_SAN=1 $(PYTHON) -m pytest -q \
	    $(wildcard $(ASAN_SUITES))
	@CTNS_BUILD=$(ROOT)/build-asan CTNS_SAN=1 CTNS_REDIS_MODE=cluster \
	    $(PYTHON) -m pytest -q $(wildcard $(ASAN_CLUSTER_SUITES))

test-asan: deps
	@$(MAKE) --no-print-directory SAN=1 all
	@$(MAKE) --no-print-directory SAN=1 unit
	@$(MAKE) --no-print-directory SAN=1 pytest PYTEST_ARGS="-m 'not slow' $(PYTEST_ARGS)"

# nginx (master_process off) and ctns-worker under valgrind for a subset of
# the integration suite (tools/valgrind.sh); errors or definite leaks fail
.PHONY: test-valgrind

test-valgrind: all
	@CTNS_BUILD=$(BUILD) PYTHON=$(PYTHON) \
	    $(SHELL) tools/valgrind.sh $(PYTEST_ARGS)

# libFuzzer harnesses of t/fuzz/, FUZZ_SECONDS each (clang, ASan + UBSan)
FUZZ_SECONDS ?= 10

fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) $(SHELL) tools/fuzz.sh

# Debian packages into build/deb/ (tools/build-deb.sh, debian/)
deb:
	@$(SHELL) tools/build-deb.sh $(ROOT) $(ROOT)/build/deb

clean:
	rm -rf build build-asan

# --- demo ---------------------------------------------------------------------
#
# The whole pipeline on loopback: Redis, both simulators, nginx with the
# module, ctns-worker, a generated day of orders (tools/demo.py; more in
# docs/operations.md).  DEMO_ARGS="--orders 100" changes it.  The services
# stay up for the status URL it prints; demo-stop (or Ctrl-C) stops them.
DEMO_ARGS ?=

.PHONY: demo demo-stop

demo: deps
	@$(MAKE) --no-print-directory module worker
	@$(PYTHON) tools/demo.py $(DEMO_ARGS)

demo-stop:
	@$(PYTHON) tools/demo.py stop
