package shard

import (
	"fmt"
	"strconv"

	"github.com/alecthomas/kingpin/v2"
)

// AddFlags registers --shard.count, --shard.index and --shard.from-hostname
// with app and returns where their values go once app has parsed the
// command line; FromFlags turns them into a Shard.
func AddFlags(app *kingpin.Application) *Flags {
	f := &Flags{}
	app.Flag("shard.count", "Number of shards sharing the configuration's apps; each app is watched by the one shard its sdkappid hashes to.").
		Default("1").SetValue(&intFlag{name: "shard.count", v: &f.Count})
	app.Flag("shard.index", "This process's shard, 0..shard.count-1.").
		Default("0").IsSetByUser(&f.IndexSet).SetValue(&intFlag{name: "shard.index", v: &f.Index})
	app.Flag("shard.from-hostname", "Take the shard index from the host name's trailing ordinal, as a StatefulSet pod's name ends (name-3).").
		BoolVar(&f.FromHostname)
	return f
}

// intFlag is an integer flag that refuses anything but a decimal integer,
// naming the flag; kingpin's own accepts 2.7 as 2 and names no flag.
type intFlag struct {
	name string
	v    *int
}

// Set implements kingpin.Value.
func (f *intFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("--%s: %q is not an integer", f.name, s)
	}
	*f.v = n
	return nil
}

// String implements kingpin.Value.
func (f *intFlag) String() string {
	return strconv.Itoa(*f.v)
}
