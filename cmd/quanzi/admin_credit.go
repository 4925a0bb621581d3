package main

import (
	"context"
	"fmt"
	"io"

	"github.com/quanzi/quanzi/internal/account"
)

// runAdminCredit is quanzi admin credit recompute.
func runAdminCredit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "recompute" {
		help := len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
		w := stderr
		if help {
			w = stdout
		}
		fmt.Fprint(w, `Usage: quanzi admin credit recompute (--all | --handle H) [flags]

Recompute credit scores from their factors (identity level, account age,
payment history, standing) and store those that changed, with history.
Imported scores stay as they are. Takes the database flags of quanzi serve.
It runs at a lower CPU priority (--nice), so servers on the same machine
keep answering quickly while it works.
`)
		if help {
			return nil
		}
		return errUsage
	}
	var d dbFlags
	var all bool
	var handle string
	var nice int
	fs := newFlagSet("admin credit recompute", "Recompute credit scores from their factors.", stderr)
	d.register(fs)
	fs.BoolVar(&all, "all", false, "every user, 500 per transaction, with a progress bar")
	fs.StringVar(&handle, "handle", "", "one user")
	fs.IntVar(&nice, "nice", 10, "CPU priority to run at, as nice(1): 0 (as usual) to 19 (only when the CPU is idle)")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	if all == (handle != "") {
		return fmt.Errorf("%w: give either --all or --handle", errUsage)
	}
	if nice < 0 || nice > 19 {
		return fmt.Errorf("%w: --nice must be from 0 to 19", errUsage)
	}
	if nice > 0 {
		if err := lowerPriority(nice); err != nil {
			return fmt.Errorf("lowering the CPU priority: %w", err)
		}
	}
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts := account.New(db, account.NewHasher(account.DefaultArgon2, 1), account.DefaultConfig)
	var ids []string
	if handle != "" {
		u, err := accounts.UserByHandle(ctx, db, handle)
		if err != nil {
			return err
		}
		ids = []string{u.ID}
	}
	bar := newProgress(stderr, "recomputing credit scores", false)
	changed, err := accounts.RecomputeCredit(ctx, ids, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "credit scores recomputed: %d changed\n", changed)
	return nil
}
