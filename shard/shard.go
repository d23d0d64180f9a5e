// Package shard splits the configured apps among several exporter processes,
// so that each app is watched, and its rate budget spent, by exactly one of
// them.
//
// Every process reads the same configuration file. Process I of N
// (--shard.index, --shard.count, or --shard.from-hostname for a StatefulSet
// pod's ordinal) watches the apps whose SDKAppID hashes to I: the key is the
// 64-bit FNV-1a hash of the SDKAppID in decimal ASCII ("1400000101"), and the
// shard is that key's jump consistent hash into N buckets (Lamping and Veach,
// "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014). The hash never
// depends on the file's order nor on the other apps, so every process agrees
// on the owner of every app without talking to the others. Growing N to N+1
// moves only about 1/(N+1) of the apps, all of them to the new shard;
// shrinking N+1 to N moves only the apps of the highest shard, the pod a
// StatefulSet removes first. With N = 1 every app belongs to shard 0.
//
// The package imports only the configuration among the exporter's packages:
// it filters a config.Config before the fetcher sees it.
package shard

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// Shard is the part of the configuration's apps that one process watches:
// shard Index of Count, 0 <= Index < Count.
type Shard struct {
	// Index is this process's shard, from 0.
	Index int
	// Count is how many shards share the configuration.
	Count int
}

// Flags are the command-line settings that choose a process's shard.
type Flags struct {
	// Count is --shard.count.
	Count int
	// Index is --shard.index; IndexSet says whether it was given.
	Index    int
	IndexSet bool
	// FromHostname is --shard.from-hostname: take the index from the host
	// name's trailing ordinal.
	FromHostname bool
}

// FromFlags returns the shard the flags choose. hostname is called only for
// --shard.from-hostname (os.Hostname in the daemon). The error names the
// flags at fault.
func FromFlags(f Flags, hostname func() (string, error)) (Shard, error) {
	if f.Count < 1 {
		return Shard{}, fmt.Errorf("--shard.count must be at least 1, got %d", f.Count)
	}
	if !f.FromHostname {
		if f.Index < 0 || f.Index >= f.Count {
			return Shard{}, fmt.Errorf("--shard.index must be 0..%d with --shard.count=%d, got %d", f.Count-1, f.Count, f.Index)
		}
		return Shard{Index: f.Index, Count: f.Count}, nil
	}
	if f.IndexSet {
		return Shard{}, errors.New("--shard.index and --shard.from-hostname conflict: give one of them")
	}
	host, err := hostname()
	if err != nil {
		return Shard{}, fmt.Errorf("--shard.from-hostname: cannot read the host name: %w", err)
	}
	index, err := ordinal(host)
	if err != nil {
		return Shard{}, fmt.Errorf("--shard.from-hostname: %w", err)
	}
	if index >= f.Count {
		return Shard{}, fmt.Errorf("--shard.from-hostname: host name %q has ordinal %d, but --shard.count=%d allows 0..%d", host, index, f.Count, f.Count-1)
	}
	return Shard{Index: index, Count: f.Count}, nil
}

// ordinal returns the trailing ordinal of host, as a StatefulSet pod's name
// ends: "exporter-3" gives 3. Of a fully qualified name only the first label
// counts ("exporter-3.exporter.monitoring.svc" gives 3 too).
func ordinal(host string) (int, error) {
	name, _, _ := strings.Cut(host, ".")
	i := strings.LastIndexByte(name, '-')
	digits := name[i+1:]
	if i < 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("host name %q does not end in -<ordinal> as a StatefulSet pod's name does (name-3)", host)
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, fmt.Errorf("host name %q has an ordinal out of range: %w", host, err)
	}
	return n, nil
}

// Of returns the shard, of count, that watches sdkappid: the jump consistent
// hash of the FNV-1a hash of its decimal text (see the package
// documentation). count must be at least 1.
func Of(sdkappid uint64, count int) int {
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatUint(sdkappid, 10))) // never fails
	return jump(h.Sum64(), count)
}

// jump is Lamping and Veach's jump consistent hash: the bucket of key among
// buckets, moving a key only to a new bucket when buckets grows by one.
func jump(key uint64, buckets int) int {
	b, j := int64(-1), int64(0)
	for j < int64(buckets) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}

// Owns reports whether this shard watches sdkappid.
func (s Shard) Owns(sdkappid uint64) bool {
	return Of(sdkappid, s.Count) == s.Index
}

// String names the shard as logs and messages do: "shard 1 of 3".
func (s Shard) String() string {
	return fmt.Sprintf("shard %d of %d", s.Index, s.Count)
}

// Select returns cfg with only the apps this shard watches, in file order;
// the global settings are cfg's. With one shard it returns cfg itself. cfg
// is not modified, and the result is as immutable as cfg.
func (s Shard) Select(cfg *config.Config) *config.Config {
	if s.Count == 1 {
		return cfg
	}
	own := *cfg
	own.Apps = nil
	for _, a := range cfg.Apps {
		if s.Owns(a.SDKAppID) {
			own.Apps = append(own.Apps, a)
		}
	}
	return &own
}

// Part is what one shard of a configuration watches.
type Part struct {
	Shard
	// Apps are the SDKAppIDs of the shard's apps, in file order.
	Apps []uint64
	// Rooms counts the rooms of those apps, room files included.
	Rooms int
}

// Split returns what each of count shards watches of cfg, by index.
func Split(cfg *config.Config, count int) []Part {
	parts := make([]Part, count)
	for i := range parts {
		parts[i].Shard = Shard{Index: i, Count: count}
	}
	for _, a := range cfg.Apps {
		p := &parts[Of(a.SDKAppID, count)]
		p.Apps = append(p.Apps, a.SDKAppID)
		p.Rooms += len(a.Rooms)
	}
	return parts
}

// String describes the part in one line, as --config.check prints it:
// "shard 0 of 3: 2 apps, 7 rooms: 1400000101, 1400000104".
func (p Part) String() string {
	ids := make([]string, len(p.Apps))
	for i, id := range p.Apps {
		ids[i] = strconv.FormatUint(id, 10)
	}
	text := fmt.Sprintf("%s: %d apps, %d rooms", p.Shard, len(p.Apps), p.Rooms)
	if len(ids) > 0 {
		text += ": " + strings.Join(ids, ", ")
	}
	return text
}
