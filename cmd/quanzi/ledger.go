package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/ledger"
)

func runLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		help := len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
		w := stderr
		if help {
			w = stdout
		}
		fmt.Fprint(w, "Usage: quanzi ledger verify [flags]\n\n  verify   recompute every balance from the journal and check every entry balances\n           (quanzi ledger verify --help for its flags)\n")
		if help {
			return nil
		}
		return fmt.Errorf("%w: quanzi ledger needs a task: verify", errUsage)
	}
	var d dbFlags
	var quiet bool
	fs := newFlagSet("ledger verify", `Recompute every account's balance from its postings, check that every
journal entry sums to zero and that all balances together sum to zero, in
one consistent snapshot (safe while the server runs). Exits non-zero on any
mismatch, listing each.`, stderr)
	d.register(fs)
	fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	bar := newProgress(stderr, "verifying accounts", quiet)
	start := time.Now()
	r, err := ledger.Verify(ctx, db, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d accounts, %d journal entries checked in %s\n", r.Accounts, r.Entries, time.Since(start).Round(time.Millisecond))
	if r.OK() {
		fmt.Fprintln(stdout, "ledger OK: every entry balances, every balance matches its postings, and all balances sum to zero")
		return nil
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, "MISMATCH:", p)
	}
	return fmt.Errorf("ledger verify found %d problems", len(r.Problems))
}

// progress draws a bar on a terminal and, elsewhere (a log, CI), a line
// every tenth of the way.
type progress struct {
	w        io.Writer
	label    string
	tty      bool
	off      bool
	lastTick int
	drawn    bool
}

func newProgress(w io.Writer, label string, off bool) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, label: label, tty: tty, off: off, lastTick: -1}
}

func (p *progress) update(done, total int) {
	if p.off || total == 0 {
		return
	}
	frac := float64(done) / float64(total)
	if p.tty {
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r%s ▕%s%s▏ %3.0f%%  %d/%d", p.label, strings.Repeat("█", n), strings.Repeat("░", width-n), frac*100, done, total)
		p.drawn = true
		return
	}
	if tick := int(frac * 10); tick > p.lastTick {
		p.lastTick = tick
		fmt.Fprintf(p.w, "%s: %d/%d (%.0f%%)\n", p.label, done, total, frac*100)
	}
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
