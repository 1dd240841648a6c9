package sshd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"harden/modules/host"
)

// recordingValidator stands in for `sshd -t` on machines without sshd: it
// keeps the candidate tree it was shown and answers with err.
type recordingValidator struct {
	mainText string
	dropIn   string
	err      error
}

func (v *recordingValidator) check(_ context.Context, _ *host.Host, candidate string) error {
	b, err := os.ReadFile(candidate)
	if err != nil {
		return err
	}
	v.mainText = string(b)
	// The candidate's Include must point at the candidate's own drop-ins.
	for _, l := range splitLines(v.mainText) {
		if pl := parseLine(0, l); pl.keyword == "include" {
			matches, _ := filepath.Glob(strings.Trim(pl.value, `"`))
			for _, m := range matches {
				d, _ := os.ReadFile(m)
				v.dropIn += string(d)
			}
		}
	}
	return v.err
}

func TestApplyStockValidatesThenWritesAndUndoes(t *testing.T) {
	files := stockFiles(t)
	h, sd := newRoot(t, files)
	m := New()
	v := &recordingValidator{}
	m.validator = v.check
	p := mustPlan(t, m, readState(t, m, h))
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	hardened := readTestdata(t, "debian12_sshd_config.hardened")
	if !strings.HasPrefix(v.mainText, blockBegin) || !strings.Contains(v.mainText, "PasswordAuthentication no") {
		t.Errorf("the validator did not see the candidate:\n%.300s", v.mainText)
	}
	if strings.Contains(v.mainText, "Include /etc/ssh/sshd_config.d/*.conf") {
		t.Error("the candidate's Include still points at the live drop-ins")
	}
	if v.dropIn != files["/etc/ssh/sshd_config.d/50-cloud-init.conf"] {
		t.Errorf("the candidate's Include did not reach the drop-in copy, saw %q", v.dropIn)
	}
	got, _ := h.ReadFile(configPath)
	if string(got) != hardened {
		t.Errorf("written sshd_config differs from the golden file")
	}
	if len(sd.Jobs) != 0 {
		t.Errorf("an offline root must not reload anything, got jobs %v", sd.Jobs)
	}
	if err := h.Undo(context.Background(), h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		if got, _ := h.ReadFile(p); string(got) != want {
			t.Errorf("undo did not restore %s byte for byte", p)
		}
	}
}

func TestApplyRejectedCandidateLeavesFilesUntouched(t *testing.T) {
	files := stockFiles(t)
	files["/etc/ssh/sshd_config.d/10-port.conf"] = "Port 2222\n"
	h, sd := newRoot(t, files)
	m := New()
	m.validator = (&recordingValidator{err: errors.New("/etc/ssh/sshd_config line 3: Bad SSH2 cipher spec")}).check
	st := readState(t, m, h)
	st.Offline, st.ServiceActive = false, true
	p := mustPlan(t, m, st)
	err := m.Apply(context.Background(), h, p)
	if err == nil || !strings.HasPrefix(err.Error(), "sshd: validate candidate: ") {
		t.Fatalf("want a validation error, got %v", err)
	}
	for p, want := range files {
		if got, _ := h.ReadFile(p); string(got) != want {
			t.Errorf("%s changed although the candidate was rejected", p)
		}
	}
	if len(sd.Jobs) != 0 || len(h.Journal().Steps()) != 0 {
		t.Errorf("a rejected candidate must not reach the machine: jobs %v, journal %v", sd.Jobs, h.Journal().Steps())
	}
}

func TestApplyLiveReloadsAndMovesSocket(t *testing.T) {
	files := map[string]string{
		configPath:                       "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n",
		"/lib/systemd/system/ssh.socket": "[Socket]\nListenStream=0.0.0.0:22\nListenStream=[::]:22\nBindIPv6Only=ipv6-only\n",
	}
	h, sd := newRoot(t, files)
	sd.Enabled = map[string]bool{socketUnit: true}
	// As on a Debian 13 or Ubuntu 24.04 where a login started sshd through
	// the socket: ssh.service runs and holds the listening socket.
	sd.Props = map[string]any{serviceUnit + "/ActiveState": "active", socketUnit + "/ActiveState": "active"}
	m := decodeAll(t, allNull()+"sshd {\n  port = 2200\n  password_authentication = false\n}\n")
	m.validator = (&recordingValidator{}).check
	st := readState(t, m, h)
	st.Offline, st.ServiceActive = false, true
	if err := m.Apply(context.Background(), h, mustPlan(t, m, st)); err != nil {
		t.Fatal(err)
	}
	// systemd refuses to start a socket whose service still runs: the
	// service goes first and comes back on the new socket; no reload on top.
	moveJobs := []string{"stop ssh.service", "restart ssh.socket", "start ssh.service"}
	if want := append([]string{"daemon-reload"}, moveJobs...); !reflect.DeepEqual(sd.Jobs, want) {
		t.Errorf("jobs = %v, want %v", sd.Jobs, want)
	}
	dropIn, err := h.ReadFile(socketDropInPath)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Written by harden: the ports sshd listens on under socket activation.\n" +
		"[Socket]\nListenStream=\nListenStream=2200\nBindIPv6Only=both\n"
	if string(dropIn) != want {
		t.Errorf("socket drop-in:\n%s\nwant:\n%s", dropIn, want)
	}
	st = readState(t, m, h)
	if got := socketPorts(st.Socket.Listen); !reflect.DeepEqual(got, []string{"2200"}) {
		t.Errorf("socket ports after apply = %v", got)
	}
	st.Offline, st.ServiceActive = false, true
	if p := mustPlan(t, m, st); !p.Empty() {
		t.Errorf("plan after apply not empty:\n%s", planText(p, h.Root()))
	}
	sd.Jobs = nil
	if err := h.Undo(context.Background(), h.Journal(), nil); err != nil {
		t.Fatal(err)
	}
	if h.Exists(socketDropInPath) || h.Exists(socketDropInDir) {
		t.Error("undo must remove the socket drop-in and the directory it created")
	}
	if want := append([]string{"daemon-reload"}, moveJobs...); !reflect.DeepEqual(sd.Jobs, want) {
		t.Errorf("undo jobs = %v, want %v (the socket back on its old ports)", sd.Jobs, want)
	}
}

// TestApplySocketWithoutService moves a socket nobody has connected to yet
// (a first boot with cloud-init, a console): ssh.service is not running, so
// only the socket restarts and nothing starts the service early.
func TestApplySocketWithoutService(t *testing.T) {
	h, sd := newRoot(t, map[string]string{configPath: "UsePAM yes\n",
		"/usr/lib/systemd/system/ssh.socket": "[Socket]\nListenStream=22\nAccept=no\n"})
	sd.Enabled = map[string]bool{socketUnit: true}
	sd.Props = map[string]any{serviceUnit + "/ActiveState": "inactive", socketUnit + "/ActiveState": "active"}
	m := decodeAll(t, allNull()+"sshd {\n  port = 2200\n}\n")
	m.validator = (&recordingValidator{}).check
	st := readState(t, m, h)
	st.Offline, st.ServiceActive = false, false
	if err := m.Apply(context.Background(), h, mustPlan(t, m, st)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"daemon-reload", "restart ssh.socket"}; !reflect.DeepEqual(sd.Jobs, want) {
		t.Errorf("jobs = %v, want %v", sd.Jobs, want)
	}
}

// A Debian 13 image checked from a Debian 12 machine: the candidate that
// machine's sshd sees names only what OpenSSH 9.2 knows; the file written
// keeps the image's own release's lists.
func TestApplyNewerImageLimitsTheCandidateToTheValidatorsNames(t *testing.T) {
	h, _ := newRoot(t, debianImage(t, 13))
	m := New()
	m.validatorStatus = debian12Status
	v := &recordingValidator{}
	m.validator = v.check
	p := mustPlan(t, m, readState(t, m, h))
	if err := m.Apply(context.Background(), h, p); err != nil {
		t.Fatal(err)
	}
	candidate := parseDump(v.mainText)
	if kex := candidate["kexalgorithms"]; len(kex) != 1 || strings.Contains(kex[0], "mlkem") ||
		!strings.HasPrefix(kex[0], "sntrup761x25519-sha512,") {
		t.Errorf("candidate KexAlgorithms = %q, want the hybrids OpenSSH 9.2 knows", kex)
	}
	written, _ := h.ReadFile(configPath)
	if !strings.Contains(string(written), "KexAlgorithms mlkem768x25519-sha256,sntrup761x25519-sha512,") {
		t.Errorf("the image's file lost ML-KEM:\n%s", written)
	}
	// The same release on both sides: nothing limited.
	h12, _ := newRoot(t, debianImage(t, 12))
	m12 := New()
	m12.validatorStatus = debian12Status
	p12 := mustPlan(t, m12, readState(t, m12, h12))
	for _, n := range p12.Notes {
		if strings.Contains(n, "limited") {
			t.Errorf("a Debian 12 image checked on Debian 12 is limited: %s", n)
		}
	}
}

func TestLimitAlgorithms(t *testing.T) {
	known := map[string][]string{kexKey: {"curve25519-sha256", "sntrup761x25519-sha512"}, macsKey: {"hmac-sha2-256"}}
	in := "KexAlgorithms mlkem768x25519-sha256,curve25519-sha256\nMatch User x\n  MACs +umac-999\n" +
		"Ciphers aes999\nKexAlgorithms -mlkem768x25519-sha256\n"
	want := "KexAlgorithms curve25519-sha256\nMatch User x\n# MACs +umac-999\n" +
		"Ciphers aes999\nKexAlgorithms -mlkem768x25519-sha256\n"
	if got := limitAlgorithms(in, known); got != want {
		t.Errorf("limitAlgorithms:\n%s\nwant:\n%s", got, want)
	}
	if got := limitAlgorithms(in, nil); got != in {
		t.Errorf("no limit changed the text:\n%s", got)
	}
}
