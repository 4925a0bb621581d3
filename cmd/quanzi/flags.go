package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// newFlagSet returns a flag set whose help lists each flag with its
// environment variable.
func newFlagSet(name, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: quanzi %s [flags]\n\n%s\n\nFlags (each also read from its environment variable):\n", name, about)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(out, "  --%s  [%s]\n      %s%s\n", f.Name, envName(f.Name), f.Usage, def)
		})
	}
	return fs
}

func envName(flagName string) string {
	return "QUANZI_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse reads args, then fills every flag not given on the command line
// from its QUANZI_* environment variable. --help prints to stdout.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (see quanzi %s --help)", errUsage, fs.Arg(0), fs.Name())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errList []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errList = append(errList, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			}
		}
	})
	if len(errList) > 0 {
		return fmt.Errorf("%w: %v", errUsage, errors.Join(errList...))
	}
	return nil
}

// dbFlags are the flags of every command that opens the database.
type dbFlags struct {
	data     string
	database string
	maxConns int
	logLevel string
	logJSON  bool
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.data, "data", "quanzi-data", "folder for the embedded SQLite database and media")
	fs.StringVar(&d.database, "database", "", "a postgres:// URL to use PostgreSQL instead of the embedded SQLite")
	fs.IntVar(&d.maxConns, "db-max-conns", 0, "database connection pool size (0: 16 for PostgreSQL, 2 per CPU for SQLite reads)")
	fs.StringVar(&d.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&d.logJSON, "log-json", false, "write logs as JSON lines instead of text")
}

func (d *dbFlags) options() store.Options {
	return store.Options{Database: d.database, DataDir: d.data, MaxConns: d.maxConns}
}

// open opens the database and brings its schema up to date, for the
// commands that work on it directly. The caller closes it.
func (d *dbFlags) open(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, d.options())
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, false); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// logger makes the process logger from the flags.
func (d *dbFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(d.logLevel)); err != nil {
		return nil, fmt.Errorf("%w: --log-level must be debug, info, warn or error", errUsage)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if d.logJSON {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h), nil
}

// durationFlag checks a duration is positive.
func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%w: --%s must be positive", errUsage, name)
	}
	return nil
}
