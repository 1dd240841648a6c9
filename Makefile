# harden — build, test tiers, packaging, benchmarks.
#
#   make run      the operator's flow on a throwaway Debian 12 VPS: plan, apply, confirm, checks from outside
#   make plan     build and run `harden plan` on this machine (read-only)
#   make check    everything CI runs: vet, unit, fuzz (bounded), root and system tiers (installs what it needs)

SHELL     := /bin/bash
GO        ?= go
BIN       := bin/harden
# Version from git: the nearest v* tag, else 0.1.0 plus the commit count and hash.
VERSION   ?= $(or $(shell git describe --tags --match 'v*' 2>/dev/null | sed 's/^v//'),0.1.0+git$(shell git rev-list --count HEAD 2>/dev/null || echo 0).$(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown))
LDFLAGS   := -s -w -X harden/agent/cli.Version=$(VERSION)
GOFLAGS_BUILD := -trimpath -buildvcs=false

# Debian packages the test tiers use on the host.
APT_PACKAGES := openssh-server openssh-client nftables haproxy iproute2 debootstrap \
                systemd-container netcat-openbsd ssh-audit sshpass zstd dpkg-dev lintian \
                cloud-init man-db ansible

.PHONY: all build run plan test vet fuzz root-test system-test check bench deps deb clean

all: build

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -ldflags '$(LDFLAGS)' -o $(BIN) ./agent/cmd/harden

# The main job, done the operator's way on a throwaway Debian 12 VPS (as
# root; the system tier's image is built and cached on first use): harden
# plan, apply and confirm over SSH, then what changed seen from outside.
# Never touches this machine's own sshd or firewall.
run: deps build
	$(GO) run ./integration/cmd/demo -harden $(BIN)

# This machine's plan for the default profile: reads, changes nothing
# (sshd -T needs root to read host keys).
plan: build
	./$(BIN) plan -profile iri-node

vet:
	$(GO) vet ./...
	$(GO) vet -tags root ./...
	$(GO) vet -tags system ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# Tier 1: no root, no network.
test:
	$(GO) test -count=1 ./...

# Fuzzing, bounded: each target (package:function) runs FUZZTIME on top of its
# seeds; a failure leaves the input in the package's testdata/fuzz to commit.
FUZZTIME     ?= 8s
FUZZ_TARGETS := ./modules/haproxy:FuzzRender ./modules/iri:FuzzPlanFile \
                ./modules/sshd:FuzzManagedBlock ./modules/iri:FuzzINISet \
                ./modules/iota:FuzzPlanYAML ./agent/profile:FuzzProfile
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $${t%%:*} $${t##*:} for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) $${t%%:*} || exit 1; \
	done

# Tier 2: real binaries and network namespaces, as root.
root-test:
	$(GO) test -count=1 -tags root -p 1 -timeout 20m ./...

# Tier 3: booted VPSes (systemd-nspawn) of every release, as root: Debian 12,
# Debian 13, Debian 13 with socket-activated sshd (HARDEN_TEST_RELEASES=debian13
# limits the set for a quick local run).
system-test: build
	$(GO) test -count=1 -p 1 -tags system -timeout 60m -v ./integration/...

# The .deb (dist/harden_<version>_<arch>.deb), reproducible from the commit.
deb: build
	BIN=$(BIN) VERSION='$(VERSION)' packaging/build-deb.sh dist

# Installs the host packages the tiers need (idempotent, quick when present).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

check: deps vet test fuzz root-test system-test

# Benchmarks: the pure parts and a whole plan (medians over -count runs),
# then the API under attack with and without harden's HAProxy (needs haproxy).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./agent/... ./modules/... | tee bench.txt
	$(GO) test -tags root -run '^$$' -bench '^BenchmarkRoot' -benchmem -count 5 ./modules/firewall/ | tee -a bench.txt
	$(GO) test -tags root -run '^$$' -bench '^BenchmarkRootAudit' -benchmem -count 5 ./agent/cli/ | tee -a bench.txt
	$(GO) test -tags attack -run '^$$' -bench . -benchtime 2s -count 3 ./integration/attack/ | tee -a bench.txt
	$(GO) run ./integration/attack/cmd/attackbench | tee -a bench.txt
	HARDEN_PERF=1 $(GO) test -tags system -count=1 -v -timeout 15m -run TestPerfReport ./integration/perf/ | tee -a bench.txt
	HARDEN_PERF=1 $(GO) test -tags system -count=1 -v -timeout 30m -run TestFleetWallTime ./integration/fleet/ | tee -a bench.txt

clean:
	rm -rf bin dist bench.txt
