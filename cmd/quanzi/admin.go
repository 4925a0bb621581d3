package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var d dbFlags
	var dryRun bool
	fs := newFlagSet("migrate", "Bring the database schema up to date and exit. Safe to run while servers are up\nand from several machines at once.", stderr)
	d.register(fs)
	fs.BoolVar(&dryRun, "dry-run", false, "only list the migrations that would run")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	db, err := store.Open(ctx, d.options())
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Migrate(ctx, dryRun)
	if err != nil {
		return err
	}
	verb := "applied"
	if dryRun {
		verb = "would apply"
	}
	for _, m := range st.Applied {
		fmt.Fprintf(stdout, "%s %04d_%s\n", verb, m.Version, m.Name)
	}
	fmt.Fprintf(stdout, "%s: schema version %d (this quanzi knows %d)\n", db.Location, max(st.Current, lastVersion(st)), st.Latest)
	return nil
}

func lastVersion(st store.MigrationStatus) int {
	if len(st.Applied) == 0 {
		return st.Current
	}
	return st.Applied[len(st.Applied)-1].Version
}

var adminCommands = []struct{ name, summary string }{
	{"create-user", "create an account with a role: --handle H --password P --role admin|reviewer|user"},
	{"set-role", "change a user's role: --handle H --role admin|reviewer|user"},
	{"disable-user", "disable an account and end its sessions at once: --handle H [--reason R]"},
	{"enable-user", "enable a disabled account: --handle H"},
	{"settle-withdrawal", "record that a withdrawal was paid out: --id W"},
	{"reverse-withdrawal", "record that a payout failed, returning the hold: --id W --reason R"},
	{"tidy-search", "merge the circle search index now (the server does a share every ten minutes): [--steps N]"},
	{"flags", "feature flags: list, set, pause, resume (quanzi admin flags --help)"},
	{"credit", "recompute credit scores: credit recompute --all | --handle H"},
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stdout
		if len(args) == 0 {
			w = stderr
		}
		fmt.Fprint(w, "Usage: quanzi admin <task> [flags]\n\nTasks:\n")
		for _, c := range adminCommands {
			fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
		}
		fmt.Fprint(w, "\nEach task takes the database flags of quanzi serve (--data, --database); see quanzi admin <task> --help.\n")
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	task, rest := args[0], args[1:]
	switch task {
	case "flags":
		return runAdminFlags(ctx, rest, stdout, stderr)
	case "credit":
		return runAdminCredit(ctx, rest, stdout, stderr)
	}
	var summary string
	for _, c := range adminCommands {
		if c.name == task {
			summary = c.summary
		}
	}
	if summary == "" {
		return fmt.Errorf("%w: unknown admin task %q (see quanzi admin --help)", errUsage, task)
	}
	var d dbFlags
	var handle, password, role, display, reason, id string
	var passwordStdin bool
	var steps int
	fs := newFlagSet("admin "+task, "Operator task: "+summary+".", stderr)
	d.register(fs)
	withdrawal := strings.HasSuffix(task, "-withdrawal")
	perUser := !withdrawal && task != "tidy-search"
	if withdrawal {
		fs.StringVar(&id, "id", "", "the withdrawal's id")
	} else if perUser {
		fs.StringVar(&handle, "handle", "", "the user's handle")
	}
	switch task {
	case "create-user":
		fs.StringVar(&password, "password", "", "the password, 8 to 128 characters (prefer --password-stdin: flags show in ps)")
		fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
		fs.StringVar(&role, "role", "user", "user, reviewer or admin")
		fs.StringVar(&display, "display-name", "", "the name shown to others (default: the handle)")
	case "set-role":
		fs.StringVar(&role, "role", "", "user, reviewer or admin")
	case "disable-user":
		fs.StringVar(&reason, "reason", "", "why, for the audit log")
	case "reverse-withdrawal":
		fs.StringVar(&reason, "reason", "", "why the payout failed; the user sees it")
	case "tidy-search":
		fs.IntVar(&steps, "steps", 2000, "merge steps of 200 pages each, each a short transaction of its own")
	}
	if err := parse(fs, rest, stdout); err != nil {
		return err
	}
	if withdrawal && id == "" {
		return fmt.Errorf("%w: --id is required", errUsage)
	}
	if perUser && handle == "" {
		return fmt.Errorf("%w: --handle is required", errUsage)
	}
	if passwordStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts := account.New(db, account.NewHasher(account.DefaultArgon2, 1), account.DefaultConfig)
	// Command-line tasks act as the operator at the machine: an admin with
	// no account of its own, recorded in the audit log as the system.
	operator := account.User{Role: account.RoleAdmin}

	var u account.User
	switch task {
	case "create-user":
		r, err := account.ParseRole(role)
		if err != nil {
			return err
		}
		u, err = accounts.CreateUser(ctx, "", account.NewUser{Handle: handle, Password: password, DisplayName: display, Role: r})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created @%s (%s), id %s\n", u.Handle, u.Role, u.ID)
	case "set-role":
		if u, err = accounts.SetRole(ctx, operator, handle, account.Role(role)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "@%s is now %s\n", u.Handle, u.Role)
	case "disable-user", "enable-user":
		status := account.StatusDisabled
		if task == "enable-user" {
			status = account.StatusActive
		}
		if u, err = accounts.SetStatus(ctx, operator, handle, status, reason); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "@%s is now %s\n", u.Handle, u.Status)
	case "settle-withdrawal", "reverse-withdrawal":
		// The decision changes the user's credit inputs: its event is
		// written here and published by the servers' relays.
		if accounts.Outbox, err = event.Open(db, event.Options{WriteOnly: true}); err != nil {
			return err
		}
		wallets := wallet.New(db, accounts, wallet.NewSandbox(db))
		var w wallet.Withdrawal
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if task == "settle-withdrawal" {
				w, err = wallets.SettleWithdrawal(ctx, tx, "", id)
			} else {
				w, err = wallets.ReverseWithdrawal(ctx, tx, "", id, reason)
			}
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "withdrawal %s of %s for @%s is now %s\n", w.ID, ledger.Format(w.Amount), w.User, w.Status)
	case "tidy-search":
		if err := circle.New(db).Tidy(ctx, steps); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tidied the circle search index (%d steps)\n", steps)
	}
	return nil
}
