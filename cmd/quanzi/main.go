// Command quanzi runs the quanzi social-payments platform: the server, its
// migrations and the operator's tools, in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/quanzi/quanzi/internal/errs"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (HTTP API) on an embedded SQLite or a PostgreSQL database", runServe},
		{"migrate", "bring the database schema up to date and exit", runMigrate},
		{"admin", "operator tasks: create-user, set-role, disable-user, enable-user", runAdmin},
		{"ledger", "ledger verify: prove every balance and entry from the journal", runLedger},
		{"load", "load transfers: drive a running server with concurrent transfers over HTTP", runLoad},
		{"version", "print the version", runVersion},
		{"help", "explain a command: quanzi help serve", runHelp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "quanzi:", message(err))
		os.Exit(exitCode(err))
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, name)
}

var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprint(w, `quanzi 圈子 — a social-payments platform: a wallet on a double-entry ledger,
and community circles governed by explainable rules.

Usage:
  quanzi <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every flag can also be set by an environment variable: --data is QUANZI_DATA,
--log-level is QUANZI_LOG_LEVEL, and so on. Flags win over the environment.

Start here:
  quanzi serve --demo      a server on http://127.0.0.1:8080 with demo data
  quanzi help serve        every server flag
`)
}

func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stdout)
		return nil
	}
	if args[0] == "help" {
		usage(stdout)
		return nil
	}
	return run(ctx, append(args[:1:1], append(args[1:], "--help")...), stdout, stderr)
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "Print quanzi's version.", stderr)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "quanzi", version)
	return nil
}

// message is the sentence to show a person for err.
func message(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		if e.Code == errs.Internal && e.Err != nil {
			return e.Err.Error()
		}
		return e.Message
	}
	return err.Error()
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}
