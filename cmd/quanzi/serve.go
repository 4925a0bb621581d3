package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/api"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/demo"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/media"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/rollout"
	"github.com/quanzi/quanzi/internal/screen"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
	"github.com/quanzi/quanzi/internal/web"
)

type serveConfig struct {
	dbFlags
	addr            string
	demo            bool
	trustedProxies  string
	sessionIdle     time.Duration
	sessionMaxAge   time.Duration
	hashConcurrency int
	shutdownTimeout time.Duration
	nats            string
	classifier      string
	classifierHold  float64
	media           string
	decodePixels    int64
	pprof           string
	procs           int
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c serveConfig
	fs := newFlagSet("serve", `Run the quanzi server. With no flags it listens on 127.0.0.1:8080 and keeps
everything in ./quanzi-data/ (embedded SQLite), creating and migrating it on
first start. --database postgres://… uses PostgreSQL instead. SIGINT or
SIGTERM drains requests in flight and closes the database cleanly.`, stderr)
	c.dbFlags.register(fs)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.BoolVar(&c.demo, "demo", false, "on an empty database, create demo users (password \"quanzi-demo\") and data")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed")
	fs.DurationVar(&c.sessionIdle, "session-idle", account.DefaultConfig.SessionIdle, "a session unused this long ends")
	fs.DurationVar(&c.sessionMaxAge, "session-max-age", account.DefaultConfig.SessionMaxAge, "a session ends this long after sign-in, used or not")
	fs.IntVar(&c.hashConcurrency, "hash-concurrency", 0, "password hashes computed at once, each taking 19 MiB (0: one per CPU)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long to wait for requests in flight at shutdown")
	fs.StringVar(&c.nats, "nats", "", "a nats://… URL: carry events (notifications, feed updates) between the quanzi nodes sharing one PostgreSQL through NATS JetStream (needs nats-server -js); empty: within this process only")
	fs.StringVar(&c.classifier, "classifier", "", "an http(s):// URL of an image classifier: each uploaded picture is POSTed to it and must come back as {\"score\": 0..1}; a post with a picture scored at or above --classifier-hold, or not scored, waits for review. Empty: no classifier")
	fs.Float64Var(&c.classifierHold, "classifier-hold", screen.DefaultHold, "the classifier score (above 0, at most 1) at or above which a post with the picture is held for review")
	fs.StringVar(&c.media, "media", "", "where pictures are stored: a folder (default: media/ in the data folder) or s3://ACCESS:SECRET@host:port/bucket?secure=false for S3-compatible storage")
	fs.StringVar(&c.pprof, "pprof", "", "a loopback address (127.0.0.1:6060) to serve Go's profiler on, apart from the app: /debug/pprof/profile?seconds=30 for CPU, /debug/pprof/mutex and /debug/pprof/block for contention (sampled while it is on). Empty: off")
	fs.Int64Var(&c.decodePixels, "decode-pixels", 0, "pixels of uploaded pictures decoded at once, bounding the memory uploads take (0: 48 million, four 12-megapixel photos at a time; a larger picture waits for the whole budget)")
	fs.IntVar(&c.procs, "procs", 0, "Go schedulers running goroutines at once, GOMAXPROCS (0: the GOMAXPROCS variable if set, else twice the CPUs this process may use). More than the CPUs keeps requests from waiting behind a thread the kernel has paused for another process, such as PostgreSQL on the same machine")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if c.procs < 0 {
		return fmt.Errorf("%w: --procs must be 0 or more", errUsage)
	}
	classifier, err := c.classifierConfig()
	if err != nil {
		return err
	}
	for name, d := range map[string]time.Duration{"session-idle": c.sessionIdle, "session-max-age": c.sessionMaxAge, "shutdown-timeout": c.shutdownTimeout} {
		if err := positive(name, d); err != nil {
			return err
		}
	}
	proxies, err := parsePrefixes(c.trustedProxies)
	if err != nil {
		return err
	}
	logs := newLineBuffer(stderr)
	defer logs.Flush()
	go logs.run(ctx)
	log, err := c.logger(logs)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	if n := schedulers(c.procs, os.Getenv("GOMAXPROCS"), goProcs); n > 0 {
		runtime.GOMAXPROCS(n)
	}

	var bus event.Bus // nil: in-process
	if c.nats != "" {
		if bus, err = event.DialNATS(ctx, c.nats, log); err != nil {
			return err
		}
		log.Info("events go through NATS JetStream", "stream", event.NATSStream)
		defer func() {
			if bus != nil { // the outbox never took it
				bus.Close()
			}
		}()
	}
	db, err := store.Open(ctx, c.options())
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("closing the database", "error", err)
		} else {
			log.Info("database closed")
		}
	}()
	st, err := db.Migrate(ctx, false)
	if err != nil {
		return err
	}
	if err := db.LoadSecrets(ctx); err != nil {
		return fmt.Errorf("loading the server's secrets: %w", err)
	}
	log.Info("database ready", "engine", db.Engine, "location", db.Location, "schema", st.Latest, "migrated", len(st.Applied))

	cfg := account.DefaultConfig
	cfg.SessionIdle, cfg.SessionMaxAge = c.sessionIdle, c.sessionMaxAge
	accounts := account.New(db, account.NewHasher(account.DefaultArgon2, c.hashConcurrency), cfg)
	idem := idempotency.New(db)
	wallets := wallet.New(db, accounts, wallet.NewSandbox(db))
	outbox, err := event.Open(db, event.Options{Bus: bus, Logger: log}) // the relay stops, and closes the bus, with db
	if err != nil {
		return err
	}
	bus = nil
	accounts.Outbox = outbox
	// Scores whose inputs changed are recomputed a second after the event,
	// and a user's at most once a minute: a score moves with months of
	// history, and someone paying every second does not need it worked
	// out every second over all of it.
	accounts.FollowCreditChanges(ctx, outbox, time.Second, time.Minute, log)
	notes := notify.New(db, outbox)
	accounts.ClaimDecided = notes.ClaimDecided
	circles := circle.New(db)
	circles.Notifier = notes
	circles.ShareInvalidations(accounts)
	posts := post.New(db, circles, accounts, wallets)
	posts.Notifier = notes
	mod := moderation.New(db, circles, posts)
	mod.Notifier, mod.Changed, mod.Accounts = notes, accounts.CreditChanged, accounts
	flags := rollout.New(db)
	flags.Gauge, flags.Notifier = mod.Gauge, notes
	socials := social.New(db, accounts)
	socials.Notify = notes.Tell
	screens := screen.New(db, circles)
	screens.Classifier = classifier
	posts.Screener = screens
	if classifier != nil {
		log.Info("pictures are scored by a classifier", "url", classifier.URL, "hold", classifier.Hold)
	}
	blobs, err := media.OpenBlobs(ctx, c.media, c.data)
	if err != nil {
		return err
	}
	pictures := media.New(db, blobs, media.NewProcessor(c.decodePixels), posts)
	pictures.Queues, pictures.Log = mod, log
	if classifier != nil {
		pictures.Scorer = classifier
	}
	log.Info("pictures are stored", "storage", blobs.String())
	if c.demo {
		seeded, err := demo.Seed(ctx, db, accounts, wallets, circles, posts, socials)
		if err != nil {
			return fmt.Errorf("seeding demo data: %w", err)
		}
		if seeded {
			log.Info("demo data created", "users", strings.Join(demo.Handles(), ", "), "password", demo.Password)
		} else {
			log.Info("demo data skipped: the database already has users")
		}
	}

	app := web.New(web.Deps{DB: db, Accounts: accounts, Idempotency: idem, Wallet: wallets, Circles: circles, Posts: posts, Social: socials,
		Moderation: mod, Media: pictures, Notes: notes, Flags: flags, Logger: log, Screen: screens, Status: api.Status})
	srv := api.New(api.Deps{DB: db, Accounts: accounts, Idempotency: idem, Wallet: wallets, Circles: circles, Posts: posts, Social: socials,
		Moderation: mod, Media: pictures, Notes: notes, Flags: flags, Logger: log, Version: version, TrustedProxies: proxies, Screen: screens, Web: app})
	app.ClientAddr = srv.ClientAddr
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", c.addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(notes.Shutdown) // open notification streams end, so draining does not wait for them
	go janitor(ctx, log, accounts, idem, wallets, circles)
	go creditSweep(ctx, log, accounts)
	go minuteWorker(ctx, log, flags, posts, pictures)
	// Changes made by other nodes (or by quanzi admin) reach this node's
	// session cache within a quarter of a second.
	go accounts.WatchInvalidations(ctx, 250*time.Millisecond, log)

	if c.pprof != "" {
		if err := servePprof(ctx, c.pprof, log); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("quanzi is listening", "url", "http://"+ln.Addr().String()+"/", "api", "http://"+ln.Addr().String()+"/api/openapi.json", "version", version, "procs", runtime.GOMAXPROCS(0))

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests in flight", "timeout", c.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("requests still running at the shutdown timeout were cut off", "error", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// schedulers is the GOMAXPROCS serve sets, 0 to keep Go's: procs when
// given, else none when the GOMAXPROCS variable is set, else twice Go's
// default (the CPUs the process may use). On a machine where other
// processes also run (PostgreSQL, a load generator, other tenants of a
// shared host), the kernel pauses Go's threads now and then, and the
// goroutines queued on a paused thread's scheduler wait for it. With twice
// the CPUs, the feeds' p99 fell by about a third at the same throughput
// (docs/BENCHMARKS.md, "Twice the schedulers").
func schedulers(procs int, env string, goDefault int) int {
	switch {
	case procs > 0:
		return procs
	case env != "":
		return 0
	}
	return 2 * goDefault
}

// goProcs is Go's own GOMAXPROCS, taken before serve changes it (a test
// may run serve more than once in one process).
var goProcs = runtime.GOMAXPROCS(0)

// janitor deletes expired sessions, throttle counters and idempotency keys,
// settles top-ups the gateway left unconfirmed, and tidies the circle
// search index, every ten minutes. Several nodes may run it at once: each
// task is idempotent.
func janitor(ctx context.Context, log *slog.Logger, accounts *account.Service, idem *idempotency.Store, wallets *wallet.Service, circles *circle.Service) {
	every(ctx, 10*time.Minute, func() {
		if n, err := accounts.PurgeExpired(ctx); err != nil {
			log.Warn("purging expired sessions", "error", err)
		} else if n > 0 {
			log.Info("purged expired sessions", "count", n)
		}
		if _, err := idem.Purge(ctx); err != nil {
			log.Warn("purging idempotency keys", "error", err)
		}
		if n, err := wallets.Reconcile(ctx, 5*time.Minute); err != nil {
			log.Warn("reconciling pending top-ups", "error", err)
		} else if n > 0 {
			log.Info("reconciled pending top-ups", "count", n)
		}
		if err := circles.Tidy(ctx, 100); err != nil {
			log.Warn("tidying the circle search index", "error", err)
		}
	})
}

// creditSweep recomputes every credit score once a day, on one of the
// nodes sharing the database (account.SweepCredit): the net under the
// event path, and what moves scores as accounts age. It first looks an
// hour after the server starts.
func creditSweep(ctx context.Context, log *slog.Logger, accounts *account.Service) {
	every(ctx, time.Hour, func() {
		if swept, n, err := accounts.SweepCredit(ctx, 24*time.Hour); err != nil {
			log.Warn("recomputing every credit score", "error", err)
		} else if swept {
			log.Info("recomputed every credit score", "changed", n)
		}
	})
}

// minuteWorker, each minute, reads every guarded flag's safety measure
// and pauses the releases whose measure crossed its threshold, and makes
// the tips whose hold has passed their authors' to spend, and deletes
// uploads never put in a post. Several nodes may run it: a flag is
// paused, a tip released and an upload deleted once (conditional updates).
func minuteWorker(ctx context.Context, log *slog.Logger, flags *rollout.Service, posts *post.Service, pictures *media.Service) {
	every(ctx, time.Minute, func() {
		if keys, err := flags.CheckGuards(ctx); err != nil {
			log.Warn("checking rollout guards", "error", err)
		} else if len(keys) > 0 {
			log.Warn("rollout guards paused flags", "flags", strings.Join(keys, ", "))
		}
		if n, err := posts.ReleaseDueTips(ctx); err != nil {
			log.Warn("releasing held tips", "error", err)
		} else if n > 0 {
			log.Info("released held tips", "count", n)
		}
		if n, err := pictures.ExpireUploads(ctx); err != nil {
			log.Warn("expiring uploads never posted", "error", err)
		} else if n > 0 {
			log.Info("expired uploads never posted", "count", n)
		}
	})
}

// every runs fn at each tick of period until ctx ends.
func every(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// classifierConfig checks the classifier flags: nil when none is set.
func (c serveConfig) classifierConfig() (*screen.Classifier, error) {
	if c.classifierHold <= 0 || c.classifierHold > 1 || math.IsNaN(c.classifierHold) {
		return nil, fmt.Errorf("%w: --classifier-hold is a score above 0 and at most 1, not %v", errUsage, c.classifierHold)
	}
	if c.classifier == "" {
		return nil, nil
	}
	u, err := url.Parse(c.classifier)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: --classifier must be an http:// or https:// URL, not %q", errUsage, c.classifier)
	}
	return &screen.Classifier{URL: c.classifier, Hold: c.classifierHold}, nil
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%w: --trusted-proxies: %q is neither an address nor a CIDR", errUsage, part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
