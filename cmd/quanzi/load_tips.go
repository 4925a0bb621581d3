package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
)

func runLoadTips(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c loadConfig
	fs := newFlagSet("load tips", `Register --users users on a running quanzi, top each up, put them all in
one new circle with a post each, then tip random posts of others from
--concurrency clients for --duration, each tip with its own
Idempotency-Key. Prints a progress line, then tips/s, latency percentiles
and errors by code, and checks that the users' wallets still hold exactly
what was topped up. Only use it on a server of your own.`, stderr)
	if err := c.parse(fs, args, stdout, "tip", "tipping", "tip"); err != nil {
		return err
	}
	call := newCaller(ctx, c.url, c.concurrency).call
	run := randomHex(4)
	users, err := registerUsers(stderr, call, "tips_"+run, c.users, loadFunds)
	if err != nil {
		return err
	}
	// One circle that takes tips of a fen and up, a post by everyone.
	code, b, err := call("POST", "/api/v1/circles", users[0].token, "", map[string]any{"name": "Tips load " + run, "category": "games",
		"tips": map[string]any{"min": 1, "max": c.maxAmount, "daily_cap": 10_000_000}})
	if err != nil || code != 201 {
		return fmt.Errorf("creating the circle: %d %s %v", code, b, err)
	}
	var circle struct{ ID string }
	json.Unmarshal(b, &circle)
	posts := make([]string, len(users))
	bar := newProgress(stderr, "posting", false)
	for i, u := range users {
		if i > 0 {
			if code, b, err := call("POST", "/api/v1/circles/"+circle.ID+"/members", u.token, "", nil); err != nil || code != 201 {
				return fmt.Errorf("joining: %d %s %v", code, b, err)
			}
		}
		code, b, err := call("POST", "/api/v1/circles/"+circle.ID+"/posts", u.token, "", map[string]any{"text": "tip me, I am " + u.handle})
		if err != nil || code != 201 {
			return fmt.Errorf("posting: %d %s %v", code, b, err)
		}
		var p struct{ ID string }
		json.Unmarshal(b, &p)
		posts[i] = p.ID
		bar.update(i+1, len(users))
	}
	bar.finish()

	st := drive(ctx, stderr, "tipping", c.concurrency, c.duration, func(w, i int, rng *rand.Rand) string {
		from := rng.IntN(len(users))
		to := (from + 1 + rng.IntN(len(users)-1)) % len(users)
		body := map[string]any{"amount": 1 + rng.Int64N(c.maxAmount)}
		return failure(call("POST", "/api/v1/posts/"+posts[to]+"/tips", users[from].token, fmt.Sprintf("%s-%d-%d", run, w, i), body))(201)
	})
	st.print(stdout, "tips", "refused or failed")
	return checkConservation(stdout, call, users, loadFunds)
}
