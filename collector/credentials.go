package collector

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

// renewAtShare is the share of a generated UserSig's lifetime after which it
// is replaced.
const renewAtShare = 0.8

// credentials supplies the UserSig of one app: generated from the secret key
// and cached, or read from a usersig_file and re-read when the file changes.
// It is safe for concurrent use.
type credentials struct {
	sdkappid   uint64
	identifier string
	secretKey  string        // empty when a UserSig file is used
	ttl        time.Duration // lifetime of generated UserSigs
	file       string        // usersig_file, or ""
	now        func() time.Time

	mu       sync.Mutex
	sig      string
	issued   time.Time
	expiry   time.Time
	fileStat os.FileInfo // of the file when it was read
}

// UserSig returns the UserSig to send now, renewing or re-reading it when due.
func (c *credentials) UserSig() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.file != "" {
		if err := c.readFile(); err != nil {
			return "", err
		}
		return c.sig, nil
	}
	now := c.now()
	if c.sig == "" || now.Sub(c.issued) >= time.Duration(renewAtShare*float64(c.ttl)) {
		if err := c.generate(now); err != nil {
			return "", err
		}
	}
	return c.sig, nil
}

// Renew drops the cached UserSig after Tencent said it is expired or
// invalid: a new one is generated, or the file is read again.
func (c *credentials) Renew() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sig = ""
	c.fileStat = nil
}

// Expiry returns when the UserSig in use expires (zero before the first).
func (c *credentials) Expiry() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expiry
}

// generate makes a new UserSig from the secret key; c.mu is held.
func (c *credentials) generate(now time.Time) error {
	sig, err := usersig.GenUserSigAt(c.sdkappid, c.secretKey, c.identifier, int64(c.ttl/time.Second), nil, now)
	if err != nil {
		return err
	}
	c.sig, c.issued, c.expiry = sig, now, now.Add(c.ttl)
	return nil
}

// readFile reads the UserSig file when it changed since the last read (or
// after Renew); c.mu is held. Errors name the file, never its content.
func (c *credentials) readFile() error {
	st, err := os.Stat(c.file)
	if err != nil {
		return fmt.Errorf("usersig_file: %w", err)
	}
	if c.sig != "" && c.fileStat != nil && os.SameFile(st, c.fileStat) &&
		st.ModTime().Equal(c.fileStat.ModTime()) && st.Size() == c.fileStat.Size() {
		return nil
	}
	raw, err := os.ReadFile(c.file)
	if err != nil {
		return fmt.Errorf("usersig_file: %w", err)
	}
	sig := string(bytes.TrimSpace(raw))
	if sig == "" {
		return errors.New("usersig_file: " + c.file + " is empty")
	}
	expiry, err := usersig.Expiry(sig)
	if err != nil {
		return fmt.Errorf("usersig_file %s: %w", c.file, err)
	}
	c.sig, c.expiry, c.fileStat = sig, expiry, st
	return nil
}
