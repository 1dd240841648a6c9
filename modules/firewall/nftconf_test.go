package firewall

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"harden/modules/host/hosttest"
)

func TestScanConf(t *testing.T) {
	got := scanConf(`#!/usr/sbin/nft -f
flush ruleset # start clean
include "/etc/nftables.d/*.nft"
table inet filter {
	chain input {
		type filter hook input priority filter;
		# table ip nested  (inside a block: not a table definition)
	}
}
add table ip6 nat
table mangle {
}
table inet filter {
}
`)
	want := confLayout{tables: []string{"inet filter", "ip6 nat", "ip mangle"},
		includes: []string{"/etc/nftables.d/*.nft"}, flush: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scan: %+v, want %+v", got, want)
	}
}

// Loading the rewritten file replaces the tables it defines and leaves
// every other table alone; a file without flush ruleset stays as it is.
func TestWithoutFlushRuleset(t *testing.T) {
	stock, err := os.ReadFile("testdata/debian12-nftables.conf")
	if err != nil {
		t.Fatal(err)
	}
	got, replaced := withoutFlushRuleset(string(stock), []string{"inet filter"})
	want := strings.Replace(string(stock), "flush ruleset\n", "# harden: `flush ruleset` removed: it wiped every "+
		"table on each load of this file\n# (boot, systemctl reload nftables), those of Docker and other daemons "+
		"included.\n# Loading it now replaces only the tables it defines:\ntable inet filter\ndelete table inet filter\n", 1)
	if !replaced || got != want {
		t.Errorf("rewritten:\n%s", got)
	}
	if again, replaced := withoutFlushRuleset(got, []string{"inet filter"}); replaced || again != got {
		t.Error("a file without flush ruleset was changed")
	}
	inBlock := "table inet t {\n\tchain c {\n\t}\n}\n# flush ruleset\n"
	if _, replaced := withoutFlushRuleset(inBlock, nil); replaced {
		t.Error("a commented flush ruleset was replaced")
	}
}

// Tables defined by included files count too (harden's own file aside);
// an included file that flushes everything is reported.
func TestConfTablesFollowsIncludes(t *testing.T) {
	h, _ := hosttest.New(t)
	files := map[string]string{
		"/etc/nftables.d/harden.nft": "table inet harden\ndelete table inet harden\ntable inet harden {\n}\n",
		"/etc/nftables.d/f2b.nft":    "table inet f2b-table {\n}\ninclude \"more/*.nft\"\n",
		"/etc/more/wipe.nft":         "flush ruleset\ntable ip nat {\n}\n",
	}
	for p, text := range files {
		if err := os.MkdirAll(filepath.Dir(h.Path(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.Path(p), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := "flush ruleset\ntable inet filter {\n}\ninclude \"/etc/nftables.d/*.nft\"\n"
	tables, flushing, err := confTables(h, []byte(conf), persistPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"inet filter", "inet f2b-table", "ip nat"}; !reflect.DeepEqual(tables, want) {
		t.Errorf("tables %v, want %v", tables, want)
	}
	if want := []string{"/etc/more/wipe.nft"}; !reflect.DeepEqual(flushing, want) {
		t.Errorf("flushing %v, want %v", flushing, want)
	}
}
