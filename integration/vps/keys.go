package vps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyPair is the operator's ssh key: the private key stays on the host, the
// public key goes into authorized_keys of each fresh VPS.
type KeyPair struct {
	Private string // path of the private key file
	Public  string // authorized_keys line
}

// EnsureKey returns the harness key pair kept beside the image cache,
// generating an ed25519 pair on first use.
func EnsureKey(ctx context.Context) (KeyPair, error) {
	dir := CacheDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return KeyPair{}, err
	}
	unlock, err := lockFile(filepath.Join(dir, "key.lock"))
	if err != nil {
		return KeyPair{}, err
	}
	defer unlock()
	priv := filepath.Join(dir, "id_ed25519")
	pub, err := os.ReadFile(priv + ".pub")
	if err != nil {
		os.Remove(priv)
		if _, err := run(ctx, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "harden-test",
			"-f", priv); err != nil {
			return KeyPair{}, fmt.Errorf("generate key: %w", err)
		}
		if pub, err = os.ReadFile(priv + ".pub"); err != nil {
			return KeyPair{}, err
		}
	}
	return KeyPair{Private: priv, Public: strings.TrimSpace(string(pub))}, nil
}
