// Package vps boots throwaway Debian "fresh VPS" machines for the system
// test tier, one release at a time or every release of the run (Releases,
// ForEachRelease): a cached debootstrap rootfs per Debian suite, one fresh
// copy per scenario booted
// with systemd-nspawn (systemd as PID 1) in its own network namespace, and
// the operator's way in (ssh as deploy with a key, then sudo). Tests judge
// the machine from the host the way an operator or an attacker would.
//
// Only what the host truly lacks makes a test skip (not root, no
// systemd-nspawn or debootstrap); anything else is a failure.
package vps

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// hostTools are the host binaries the harness itself runs.
var hostTools = []string{"systemd-nspawn", "debootstrap", "nsenter", "ip", "ssh", "ssh-keygen", "tar", "zstd"}

// Require skips the test if this host cannot boot a VPS at all.
func Require(t testing.TB) {
	t.Helper()
	if reason := Unsupported(); reason != "" {
		t.Skip("system tier needs " + reason)
	}
}

// Unsupported says why this host cannot run the system tier ("" if it can).
func Unsupported() string {
	if os.Geteuid() != 0 {
		return "root (systemd-nspawn, debootstrap, veth setup)"
	}
	for _, tool := range hostTools {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " on the host (apt-get install debootstrap systemd-container openssh-client zstd iproute2 util-linux)"
		}
	}
	return ""
}

// Harness is what every machine of one test binary shares: the images, the
// key pair, the harden binary, and the bound on machines running at once.
type Harness struct {
	Key KeyPair

	tmp       string
	hardenOne sync.Once
	harden    string
	hardenErr error
	slots     chan struct{}

	imagesMu sync.Mutex
	images   map[imageKey]*imageBuild
}

// imageKey names one image of the run: a suite's, or its Docker variant.
type imageKey struct {
	suite  string
	docker bool
}

// imageBuild is one suite's image, taken from the cache or being built.
type imageBuild struct {
	done chan struct{}
	path string
	err  error
}

var (
	shared     *Harness
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns the harness for this test binary. Its first use starts
// taking the image of every release of the run from the cache, building
// those that are missing side by side (a cold Debian 12 takes about a
// minute, Debian 13 about two); Boot waits for the one it needs. A failure
// fails the test.
func Shared(t testing.TB) *Harness {
	t.Helper()
	Require(t)
	sharedOnce.Do(func() {
		shared, sharedErr = newHarness(context.Background())
	})
	if sharedErr != nil {
		t.Fatalf("system tier setup: %v", sharedErr)
	}
	return shared
}

func newHarness(ctx context.Context) (*Harness, error) {
	key, err := EnsureKey(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "harden-system-")
	if err != nil {
		return nil, err
	}
	h := &Harness{Key: key, tmp: tmp, slots: make(chan struct{}, Parallel()), images: map[imageKey]*imageBuild{}}
	for _, rel := range Releases() {
		h.startImage(imageKey{suite: rel.Suite})
	}
	return h, nil
}

// Parallel is how many machines one test binary runs at once:
// HARDEN_TEST_PARALLEL, default 2 (one per core of a small CI machine).
func Parallel() int {
	if p, err := strconv.Atoi(os.Getenv("HARDEN_TEST_PARALLEL")); err == nil && p > 0 {
		return p
	}
	return 2
}

// startImage starts taking an image from the cache or building it, once
// per key. A Docker variant waits for its suite's image and is built from
// it.
func (h *Harness) startImage(key imageKey) *imageBuild {
	h.imagesMu.Lock()
	defer h.imagesMu.Unlock()
	if b, ok := h.images[key]; ok {
		return b
	}
	b := &imageBuild{done: make(chan struct{})}
	h.images[key] = b
	go func() {
		defer close(b.done)
		b.path, b.err = h.buildImage(key)
	}()
	return b
}

func (h *Harness) buildImage(key imageKey) (string, error) {
	if key.docker {
		base := h.startImage(imageKey{suite: key.suite})
		<-base.done
		if base.err != nil {
			return "", base.err
		}
		return EnsureDockerImage(context.Background(), base.path, log.Printf)
	}
	spec, err := SpecFor(key.suite)
	if err != nil {
		return "", err
	}
	return EnsureImage(context.Background(), spec, log.Printf)
}

// Image returns the rootfs tarball of rel (its Docker variant if docker),
// waiting for its build.
func (h *Harness) Image(rel Release, docker bool) (string, error) {
	b := h.startImage(imageKey{suite: rel.Suite, docker: docker})
	<-b.done
	return b.path, b.err
}

// Harden returns the static harden binary, built once per test binary
// (HARDEN_TEST_BINARY names a prebuilt one instead, e.g. a release build).
func (h *Harness) Harden(t testing.TB) string {
	t.Helper()
	h.hardenOne.Do(func() {
		if bin := os.Getenv("HARDEN_TEST_BINARY"); bin != "" {
			h.harden = bin
			return
		}
		start := time.Now()
		h.harden, h.hardenErr = BuildHarden(context.Background(), h.tmp)
		if h.hardenErr == nil {
			log.Printf("built static harden in %s", time.Since(start).Round(time.Millisecond))
		}
	})
	if h.hardenErr != nil {
		t.Fatalf("%v", h.hardenErr)
	}
	return h.harden
}

// Close removes the harness's temporary files (call from TestMain).
func Close() {
	if shared != nil && shared.tmp != "" {
		os.RemoveAll(shared.tmp)
	}
}

// machinesDir holds the unpacked rootfs of running machines.
func machinesDir() string { return filepath.Join(CacheDir(), "machines") }

// slot is one network number N (10.231.N.0/24), held by a lock file so test
// binaries running at once never share an address or a machine name.
type slot struct {
	n      int
	unlock func()
}

func acquireSlot() (*slot, error) {
	dir := filepath.Join(CacheDir(), "slots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for n := 1; n < 250; n++ {
		unlock, ok, err := tryLock(filepath.Join(dir, fmt.Sprintf("%d.lock", n)))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if inUse(n) {
			unlock()
			continue
		}
		// A machine directory for this slot left by a killed run is stale:
		// nobody else can hold the slot now.
		stale, _ := filepath.Glob(filepath.Join(machinesDir(), machineName(n)+"-*"))
		locks, _ := filepath.Glob(filepath.Join(machinesDir(), ".#"+machineName(n)+"-*.lck"))
		for _, s := range append(stale, locks...) {
			os.RemoveAll(s)
		}
		return &slot{n: n, unlock: unlock}, nil
	}
	return nil, fmt.Errorf("no free machine slot")
}

// machinePrefix starts every machine's name; the slot number ends it.
const machinePrefix = "harden"

func machineName(n int) string { return fmt.Sprintf("%s%d", machinePrefix, n) }
