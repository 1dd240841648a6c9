package sshd

import (
	"harden/modules/module/moduletest"
	"strings"
	"testing"
)

func TestRewriteStockDebianGolden(t *testing.T) {
	stock := readTestdata(t, "debian12_sshd_config")
	want := desiredFor(New(), debian12(t))
	want["allowusers"] = []string{"deploy"} // the image's administrator, as the plan finds it
	got := rewriteMain(stock, want)
	moduletest.Golden(t, "debian12_sshd_config.hardened", []byte(got))
	if again := rewriteMain(got, want); again != got {
		t.Errorf("rewrite is not idempotent:\n%s", again)
	}
	// Everything the operator had is still there, in order, as a line of
	// its own or behind the disabled marker.
	var kept []string
	for _, l := range splitLines(got) {
		kept = append(kept, strings.TrimPrefix(l, disabledMark))
	}
	if !strings.Contains(strings.Join(kept, "\n")+"\n", stock) {
		t.Error("the operator's lines were not all kept in order")
	}
	if !strings.HasPrefix(got, blockBegin+"\n") {
		t.Error("the managed block must open the file, ahead of the Include line")
	}
	if !strings.Contains(got, "\n"+disabledMark+"X11Forwarding yes\n") {
		t.Error("the stock X11Forwarding yes contradicts the profile and must be turned off")
	}
	if !strings.Contains(got, "\nKbdInteractiveAuthentication no\n\n# Kerberos") {
		t.Error("a line that agrees with the profile must be left as it is")
	}
}

func TestRewriteRestoresLinesWhenUnmanaged(t *testing.T) {
	stock := readTestdata(t, "debian12_sshd_config")
	hardened := rewriteMain(stock, desiredFor(New(), debian12(t)))
	want := desiredFor(New(), debian12(t))
	delete(want, "x11forwarding")
	got := rewriteMain(hardened, want)
	if strings.Contains(got, disabledMark+"X11Forwarding") || !strings.Contains(got, "\nX11Forwarding yes\n") {
		t.Error("X11Forwarding yes should come back once the profile leaves X11Forwarding unmanaged")
	}
	if rewriteMain(stock, map[string][]string{}) != stock {
		t.Error("an all-unmanaged profile must leave a stock file untouched")
	}
	if noNewline := "UsePAM yes"; rewriteMain(noNewline, map[string][]string{}) != noNewline {
		t.Error("an all-unmanaged profile must not even add a final newline")
	}
	if got := rewriteMain(hardened, map[string][]string{}); got != stock {
		t.Errorf("an all-unmanaged profile must give back the stock file, got:\n%s", got)
	}
}

func TestRewriteLeavesMatchBlocks(t *testing.T) {
	text := "PasswordAuthentication yes\nPort 2222\nMatch User backup\n  PasswordAuthentication yes\n  X11Forwarding yes\n"
	got := rewriteMain(text, desiredFor(New(), debian12(t)))
	want := blockBegin
	if !strings.HasPrefix(got, want) {
		t.Fatalf("no block on top:\n%s", got)
	}
	tail := got[strings.Index(got, blockEnd)+len(blockEnd)+1:]
	wantTail := disabledMark + "PasswordAuthentication yes\n" + disabledMark + "Port 2222\n" +
		"Match User backup\n  PasswordAuthentication yes\n  X11Forwarding yes\n"
	if tail != wantTail {
		t.Errorf("got tail:\n%s\nwant:\n%s", tail, wantTail)
	}
}

func TestRewriteDropInAccumulating(t *testing.T) {
	text := "Port 2222\nPasswordAuthentication yes\nAllowUsers bob\n"
	want := desiredFor(New(), debian12(t))
	got := rewriteDropIn(text, want)
	if got != disabledMark+"Port 2222\nPasswordAuthentication yes\nAllowUsers bob\n" {
		t.Errorf("AllowUsers is unmanaged and first-wins lines lose anyway; only Port goes. Got:\n%s", got)
	}
	want["allowusers"] = []string{"iri"}
	got = rewriteDropIn(text, want)
	if !strings.Contains(got, disabledMark+"AllowUsers bob\n") {
		t.Errorf("a managed AllowUsers must turn off a drop-in's AllowUsers, got:\n%s", got)
	}
}

func TestRewriteStaleBlockMovesToTop(t *testing.T) {
	text := "# operator header\n" + blockBegin + "\nPort 22\n" + blockEnd + "\nUsePAM yes\n"
	got := rewriteMain(text, map[string][]string{"port": {"2200"}})
	want := blockBegin + "\nPort 2200\n" + blockEnd + "\n# operator header\nUsePAM yes\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Before a plan knows the installed release, the algorithm lists have no
// value yet: the block leaves them out and the operator's lines stay.
func TestRewriteBeforeAlgorithmsAreChosen(t *testing.T) {
	got := rewriteMain("KexAlgorithms curve25519-sha256\n", New().want)
	block := got[:strings.Index(got, blockEnd)]
	if !strings.Contains(block, "\nPermitRootLogin no\n") || strings.Contains(block, "KexAlgorithms") {
		t.Errorf("block:\n%s", block)
	}
	if !strings.HasSuffix(got, blockEnd+"\nKexAlgorithms curve25519-sha256\n") {
		t.Errorf("the operator's KexAlgorithms line must stay as it is:\n%s", got)
	}
}
