package lockout

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"harden/modules/host"
	"harden/modules/host/hosttest"
)

// edKey is an authorized_keys line for a fixed Ed25519 key (seed picks it).
func edKey(seed byte) string {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return authorizedLine(priv.Public())
}

func authorizedLine(pub any) string {
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(key)), "\n") + " deploy@laptop"
}

// rsaKey is an RSA public key of the given size. The guard only reads the
// size, so the modulus is any odd number of that many bits.
func rsaKey(bits int) string {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.Add(n, big.NewInt(1))
	return authorizedLine(&rsa.PublicKey{N: n, E: 65537})
}

// operatorRoot is a machine with one would-be operator, deploy (sudo group,
// a password for sudo), whose authorized_keys holds keys; files override
// or add system files ("" leaves a file out).
func operatorRoot(t *testing.T, keys string, files map[string]string) *host.Host {
	t.Helper()
	h, _ := hosttest.New(t)
	root := h.Root()
	uid := os.Getuid()
	if uid == 0 {
		uid = 1000
	}
	base := map[string]string{
		"/etc/passwd":  fmt.Sprintf("root:x:0:0:root:/root:/usr/sbin/nologin\ndeploy:x:%d:%d::/home/deploy:/bin/bash\n", uid, uid),
		"/etc/group":   fmt.Sprintf("root:x:0:\nsudo:x:27:deploy\ndeploy:x:%d:\n", uid),
		"/etc/shadow":  "root:*:1::::::\ndeploy:$y$j9T$salt$hash:1::::::\n",
		"/etc/sudoers": "%sudo ALL=(ALL:ALL) ALL\n",
	}
	for p, text := range files {
		base[p] = text
	}
	for p, text := range base {
		if text != "" { // "": the file is absent
			write(t, root, p, text, 0o644)
		}
	}
	write(t, root, "/home/deploy/.ssh/authorized_keys", keys, 0o600)
	for p, mode := range map[string]os.FileMode{"/home/deploy/.ssh": 0o700, "/home/deploy": 0o755} {
		if err := os.Chmod(filepath.Join(root, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getuid() == 0 {
		for _, p := range []string{"/home/deploy", "/home/deploy/.ssh", "/home/deploy/.ssh/authorized_keys"} {
			if err := os.Chown(filepath.Join(root, p), uid, uid); err != nil {
				t.Fatal(err)
			}
		}
	}
	return h
}

// debianSudoers is /etc/sudoers as Debian 12's sudo package ships it: the
// user fields are separated from the rest by a tab.
const debianSudoers = "Defaults\tenv_reset\nDefaults\tmail_badpass\n" +
	"Defaults\tsecure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nDefaults\tuse_pty\n" +
	"root\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n"

// TestKeysAsSshdReadsThem: the guard counts a key only when sshd would
// accept it and it gives the operator a shell to run sudo in.
func TestKeysAsSshdReadsThem(t *testing.T) {
	good := edKey(1)
	tests := []struct {
		name   string
		keys   string
		files  map[string]string
		client string // the operator's address (SSH_CONNECTION), "" when unknown
		policy func(*Policy)
		ok     bool
		want   []string // substrings of the way in (ok) or of the problems
	}{
		{name: "a good key", keys: good + "\n", ok: true,
			want: []string{"deploy with /home/deploy/.ssh/authorized_keys (ssh-ed25519), sudo"}},
		{name: "truncated key", keys: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA-truncated deploy@laptop\n",
			want: []string{"deploy: /home/deploy/.ssh/authorized_keys: line 1 is not a key sshd can read " +
				"(illegal base64 data at input byte 24)"}},
		{name: "truncated key after a comment", keys: "# laptop\n\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ3vtest\n",
			want: []string{"line 3 is not a key sshd can read (ssh: short read)"}},
		{name: "forced command", keys: `command="/usr/bin/rrsync -ro /backup",restrict ` + good + "\n",
			want: []string{`line 1 runs only the forced command "/usr/bin/rrsync -ro /backup" (command=): no shell`}},
		{name: "forced command, quote inside", keys: `command="echo \"hi\"" ` + good + "\n",
			want: []string{`forced command "echo \"hi\""`}},
		{name: "restrict alone still gives a shell, without a pty", keys: "restrict " + good + "\n", ok: true,
			want: []string{"(ssh-ed25519, no pty), sudo"}},
		{name: "no-pty gives a shell without a pty", keys: "no-pty,no-port-forwarding " + good + "\n", ok: true,
			want: []string{"(ssh-ed25519, no pty)"}},
		{name: "restrict,pty gives a pty back", keys: "restrict,pty " + good + "\n", ok: true,
			want: []string{"(ssh-ed25519), sudo"}},
		{name: "from excludes the operator", keys: `from="10.0.0.0/8" ` + good + "\n", client: "203.0.113.7",
			want: []string{`line 1 admits only from="10.0.0.0/8", and you connect from 203.0.113.7`}},
		{name: "from admits the operator", keys: `from="10.0.0.1,203.0.113.0/24" ` + good + "\n", client: "203.0.113.7",
			ok: true, want: []string{"(ssh-ed25519), sudo"}},
		{name: "from negates the operator", keys: `from="*,!203.0.113.7" ` + good + "\n", client: "203.0.113.7",
			want: []string{`admits only from="*,!203.0.113.7"`}},
		{name: "from by host name under UseDNS no", keys: `from="laptop.example.org" ` + good + "\n",
			client: "203.0.113.7", want: []string{"you connect from 203.0.113.7"}},
		{name: "from with a wildcard address", keys: `from="203.0.113.*" ` + good + "\n", client: "203.0.113.7",
			ok: true, want: []string{"(ssh-ed25519)"}},
		{name: "from, operator's address unknown", keys: `from="10.0.0.0/8" ` + good + "\n", ok: true,
			want: []string{`(ssh-ed25519, only from="10.0.0.0/8")`}},
		{name: "from with host bits in the mask", keys: `from="10.0.0.1/8" ` + good + "\n",
			want: []string{`(from="10.0.0.1/8": not a valid pattern list: 10.0.0.1/8: address bits set beyond the mask)`}},
		{name: "expired", keys: `expiry-time="20200101" ` + good + "\n",
			want: []string{"line 1 expired on 2020-01-01 00:00 ", "(expiry-time)"}},
		{name: "expires in the future", keys: `expiry-time="29991231Z" ` + good + "\n", ok: true,
			want: []string{"(ssh-ed25519, expires 2999-12-31"}},
		{name: "expiry-time sshd cannot read", keys: `expiry-time="2020" ` + good + "\n",
			want: []string{`line 1 has options sshd refuses (expiry-time="2020": invalid expires time)`}},
		{name: "unknown option", keys: `frm="10.0.0.1" ` + good + "\n",
			want: []string{`line 1 has options sshd refuses (frm="10.0.0.1": unknown key option)`}},
		{name: "key type that is not the key's", keys: strings.Replace(good, "ssh-ed25519", "ssh-rsa", 1) + "\n",
			want: []string{"line 1 says ssh-rsa but holds an ssh-ed25519 key"}},
		{name: "cert-authority is not a key", keys: "cert-authority " + good + "\n",
			want: []string{"line 1 is a certificate authority (cert-authority)"}},
		{name: "RSA key under RequiredRSASize", keys: rsaKey(768) + "\n",
			want: []string{"line 1 is a 768-bit RSA key; sshd requires 1024 bits (RequiredRSASize)"}},
		{name: "algorithm refused", keys: good + "\n", policy: func(p *Policy) { p.PubkeyAcceptedAlgorithms = []string{"rsa-sha2-512"} },
			want: []string{"line 1 is ssh-ed25519, which PubkeyAcceptedAlgorithms refuses"}},
		{name: "every bad line is named", keys: "ssh-ed25519 AAAA-truncated\n" + `command="true" ` + good + "\n",
			want: []string{"line 1 is not a key sshd can read", "line 2 runs only the forced command"}},
		{name: "one good line among bad ones", keys: "ssh-ed25519 AAAA-truncated\n" + good + "\n", ok: true,
			want: []string{"(ssh-ed25519), sudo"}},
		{name: "in the sudo group, but no rule for it", keys: good + "\n",
			files: map[string]string{"/etc/sudoers": "root ALL=(ALL:ALL) ALL\n"},
			want:  []string{"deploy: cannot become root: in the sudo group, but no sudoers rule grants %sudo"}},
		{name: "neither in the sudo group nor in sudoers", keys: good + "\n",
			files: map[string]string{"/etc/group": "root:x:0:\nsudo:x:27:\n"},
			want:  []string{"deploy: cannot become root: not in the sudo group or sudoers"}},
		{name: "Debian's stock sudoers (tab-separated)", keys: good + "\n",
			files: map[string]string{"/etc/sudoers": debianSudoers}, ok: true, want: []string{"sudo"}},
		{name: "sudo is not installed", keys: good + "\n", files: map[string]string{"/etc/sudoers": ""},
			want: []string{"deploy: cannot become root: sudo is not installed (no /etc/sudoers)"}},
		{name: "every reason for one user", keys: "ssh-ed25519 AAAA-truncated\n",
			files:  map[string]string{"/etc/sudoers": "root ALL=(ALL:ALL) ALL\n"},
			policy: func(p *Policy) { p.AllowUsers = []string{"alice"} },
			want: []string{"deploy: not in AllowUsers; cannot become root: in the sudo group, but no sudoers rule " +
				"grants %sudo; /home/deploy/.ssh/authorized_keys: line 1 is not a key sshd can read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := operatorRoot(t, tt.keys, tt.files)
			f, err := Read(h, []string{".ssh/authorized_keys"})
			if err != nil {
				t.Fatal(err)
			}
			setClient(t, &f, tt.client)
			p := keyOnly
			if tt.policy != nil {
				tt.policy(&p)
			}
			v := Check(f, p)
			if v.OK != tt.ok {
				t.Fatalf("OK = %v, want %v (way in %q, problems %q)", v.OK, tt.ok, v.WayIn, v.Problems)
			}
			text := v.WayIn
			if !tt.ok {
				text = strings.Join(v.Problems, "\n")
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("got %q\nwant it to contain %q", text, w)
				}
			}
		})
	}
}

// setClient sets the operator's address as Read would take it from
// SSH_CONNECTION on a live machine (test roots are offline images).
func setClient(t *testing.T, f *Facts, client string) {
	t.Helper()
	if client == "" {
		return
	}
	addr, err := netip.ParseAddr(client)
	if err != nil {
		t.Fatal(err)
	}
	f.Client = addr
}
