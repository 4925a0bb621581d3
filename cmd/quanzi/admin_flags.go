package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quanzi/quanzi/internal/rollout"
)

// runAdminFlags is quanzi admin flags list|set|pause|resume.
func runAdminFlags(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verbs := "list|set|pause|resume"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stdout
		if len(args) == 0 {
			w = stderr
		}
		fmt.Fprint(w, `Usage: quanzi admin flags `+verbs+` [flags]

  list     every flag: on or off, its percentage now, lists, segment, schedule
  set      create or replace a flag: --key K [--enabled] [--percentage P]
           [--allow h1,h2] [--deny h3] [--segment RULE] [--description D]
           [--stages 2026-12-01T00:00Z=5,2026-12-08T00:00Z=25]
           [--guard-metric M --guard-threshold T [--guard-window MIN]
            [--guard-min-posts N] [--guard-circles slug1,slug2]]
  pause    hold a flag's staged release where it stands: --key K
  resume   let it go on: --key K

Each takes the database flags of quanzi serve (--data, --database).
`)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	verb := args[0]
	if !strings.Contains("|"+verbs+"|", "|"+verb+"|") {
		return fmt.Errorf("%w: unknown flags task %q (%s)", errUsage, verb, verbs)
	}
	var d dbFlags
	var key, allow, deny, stages, guardCircles string
	var set rollout.Settings
	var guard rollout.Guard
	fs := newFlagSet("admin flags "+verb, "Feature flags: "+verb+".", stderr)
	d.register(fs)
	if verb != "list" {
		fs.StringVar(&key, "key", "", "the flag's key")
	}
	if verb == "set" {
		fs.BoolVar(&set.Enabled, "enabled", false, "on (subject to the rest); off is the kill switch")
		fs.Float64Var(&set.Percentage, "percentage", 0, "share of users, 0 to 100 (sticky per user)")
		fs.StringVar(&allow, "allow", "", "handles always on, comma-separated")
		fs.StringVar(&deny, "deny", "", "handles always off, comma-separated")
		fs.StringVar(&set.Segment, "segment", "", "a rule over user.* that users must meet, e.g. user.credit_score >= 600")
		fs.StringVar(&set.Description, "description", "", "what the flag is for")
		fs.StringVar(&stages, "stages", "", "scheduled percentages, comma-separated TIME=PERCENT in time order (RFC 3339 times)")
		fs.StringVar(&guard.Metric, "guard-metric", "", "pause the release when this measure crosses --guard-threshold: "+strings.Join(rollout.Metrics, " or "))
		fs.Float64Var(&guard.Threshold, "guard-threshold", 0, "the guard's threshold, per 100 posts")
		fs.IntVar(&guard.Window, "guard-window", rollout.DefaultWindow, "how far back the guard looks, in minutes")
		fs.IntVar(&guard.MinPosts, "guard-min-posts", rollout.DefaultMinPosts, "posts the window must hold before the guard judges")
		fs.StringVar(&guardCircles, "guard-circles", "", "circles the guard covers, comma-separated ids or slugs (default: every circle)")
	}
	if err := parse(fs, args[1:], stdout); err != nil {
		return err
	}
	if verb != "list" && key == "" {
		return fmt.Errorf("%w: --key is required", errUsage)
	}
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	flags := rollout.New(db)
	var f rollout.Flag
	switch verb {
	case "list":
		list, err := flags.List(ctx)
		if err != nil {
			return err
		}
		return printFlags(stdout, list)
	case "set":
		set.Allow, set.Deny = splitList(allow), splitList(deny)
		if set.Stages, err = parseStages(stages); err != nil {
			return err
		}
		if guard.Metric != "" {
			guard.Circles = splitList(guardCircles)
			set.Guard = &guard
		}
		f, err = flags.Put(ctx, "", key, set)
	case "pause", "resume":
		f, err = flags.SetPaused(ctx, "", key, verb == "pause")
	}
	if err != nil {
		return err
	}
	return printFlags(stdout, []rollout.Flag{f})
}

// parseStages reads TIME=PERCENT,TIME=PERCENT.
func parseStages(s string) ([]rollout.Stage, error) {
	var out []rollout.Stage
	for _, part := range splitList(s) {
		at, pct, ok := strings.Cut(part, "=")
		t, err := parseTime(at)
		p, perr := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if !ok || err != nil || perr != nil {
			return nil, fmt.Errorf("%w: --stages takes TIME=PERCENT pairs such as 2026-12-01T00:00Z=5, not %q", errUsage, part)
		}
		out = append(out, rollout.Stage{At: t, Percentage: p})
	}
	return out, nil
}

// parseTime reads an RFC 3339 time, seconds optional.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04Z07:00", s)
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func printFlags(w io.Writer, list []rollout.Flag) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no flags")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSTATE\tNOW\tALLOW\tDENY\tSEGMENT\tSTAGES\tGUARD")
	for _, f := range list {
		state := "off"
		switch {
		case f.Enabled && f.Tripped != nil:
			state = fmt.Sprintf("on, paused by its guard at %g", f.Tripped.Value)
		case f.Enabled && f.PausedAt != nil:
			state = "on, paused"
		case f.Enabled:
			state = "on"
		}
		var stages []string
		for _, st := range f.Stages {
			stages = append(stages, fmt.Sprintf("%s→%g%%", st.At.Format("01-02 15:04"), st.Percentage))
		}
		guard := ""
		if g := f.Guard; g != nil {
			guard = fmt.Sprintf("%s > %g in %dm", g.Metric, g.Threshold, g.Window)
			if len(g.Circles) > 0 {
				guard += fmt.Sprintf(", %d circles", len(g.Circles))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%g%%\t%d\t%d\t%s\t%s\t%s\n", f.Key, state, f.PercentageAt(time.Now()), len(f.Allow), len(f.Deny),
			orDash(f.Segment), orDash(strings.Join(stages, " ")), orDash(guard))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
