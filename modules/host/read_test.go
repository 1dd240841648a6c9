package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"harden/modules/host"
)

// A path the operator points harden at may be anything: a FIFO (reading it
// would wait for a writer forever), /dev/zero (endless), a directory, a
// huge file. Each is an error at once that names the path and what it is.
func TestReadFileRefusesOddFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	h := host.New(host.Options{Root: "/"})
	readers := map[string]func(string, int64) ([]byte, error){
		"under the root": h.ReadFileLimit, "local": host.ReadLocalFile}
	for _, tc := range []struct{ path, want string }{
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "is a character device, not a regular file"},
		{dir, "is a directory, not a regular file"},
		{big, "is larger than 1024 bytes"},
	} {
		for how, read := range readers {
			t.Run(filepath.Base(tc.path)+" "+how, func(t *testing.T) {
				done := make(chan error, 1)
				go func() {
					_, err := read(tc.path, 1024)
					done <- err
				}()
				select {
				case err := <-done:
					if err == nil || !strings.Contains(err.Error(), tc.path+" "+tc.want) {
						t.Errorf("err = %v, want %q", err, tc.path+" "+tc.want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("reading %s hangs", tc.path)
				}
			})
		}
	}
	if data, err := h.ReadFileLimit(big, 2048); err != nil || len(data) != 2048 {
		t.Errorf("a file within the limit: %d bytes, %v", len(data), err)
	}
}

// ReadFile itself never waits on a FIFO either: every read of harden's is
// of a regular file.
func TestReadFileNeverWaitsOnAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "sshd_config")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := host.New(host.Options{Root: "/"}).ReadFile(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("read a FIFO without error")
		}
	case <-time.After(5 * time.Second):
		// Let the blocked open go: a writer that leaves at once.
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("ReadFile waits on a FIFO")
	}
}
