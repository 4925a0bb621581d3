package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

func runLoadSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c searchLoad
	fs := newFlagSet("load search", `Fill the circle directory of a running quanzi up to --circles open
circles (names and descriptions in Chinese and English, plus a share of
closed circles that must never be found), then search it from
--concurrency clients: Chinese queries for half of --duration, English
for the other half. Prints queries/s and latency percentiles for each,
and counts any closed circle a search returned as an error. Only use it
on a server of your own.`, stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the quanzi server")
	fs.IntVar(&c.circles, "circles", 10_000, "open circles the directory should hold")
	fs.IntVar(&c.concurrency, "concurrency", 16, "clients searching at once")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "how long to search (half Chinese, half English)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if c.circles < 1 || c.concurrency < 1 || c.duration <= 0 {
		return fmt.Errorf("%w: --circles and --concurrency must be at least 1, --duration positive", errUsage)
	}
	return c.run(ctx, stdout, stderr)
}

type searchLoad struct {
	url         string
	circles     int
	concurrency int
	duration    time.Duration
}

// The directory's vocabulary: each topic in Chinese and English, so names
// mix both as real ones do.
var (
	searchTopics = [][2]string{{"健身", "fitness"}, {"跑步", "running"}, {"猫咪", "cats"}, {"美食", "food"}, {"旅行", "travel"},
		{"摄影", "photography"}, {"读书", "books"}, {"理财", "investing"}, {"宝宝", "baby"}, {"校园", "campus"},
		{"游戏", "gaming"}, {"咖啡", "coffee"}, {"音乐", "music"}, {"电影", "movies"}, {"篮球", "basketball"},
		{"瑜伽", "yoga"}, {"露营", "camping"}, {"烘焙", "baking"}, {"编程", "coding"}, {"考研", "exams"},
		{"钓鱼", "fishing"}, {"滑雪", "skiing"}, {"园艺", "gardening"}, {"手工", "crafts"}, {"汉服", "hanfu"}}
	searchPlaces = [][2]string{{"北京", "Beijing"}, {"上海", "Shanghai"}, {"杭州", "Hangzhou"}, {"成都", "Chengdu"},
		{"广州", "Guangzhou"}, {"深圳", "Shenzhen"}, {"西安", "Xi'an"}, {"南京", "Nanjing"}}
	searchKinds      = [][2]string{{"俱乐部", "Club"}, {"小组", "Group"}, {"之家", "Home"}, {"日记", "Diary"}, {"圈", "Circle"}}
	searchCategories = []string{"fitness", "games", "finance", "mother-baby", "pets", "digital", "campus", "white-collar", "travel", "food"}
)

// closedMark is in every closed circle's name and nowhere else: a search
// for it must find nothing.
const closedMark = "私密"

func (c searchLoad) run(ctx context.Context, stdout, stderr io.Writer) error {
	cl := newCaller(ctx, c.url, c.concurrency)
	code, b, err := cl.call("GET", "/api/v1/circle-categories", "", "", nil)
	if err != nil || code != 200 {
		return fmt.Errorf("reading the directory: %d %s %v", code, b, err)
	}
	var cats struct{ Items []struct{ Circles int } }
	json.Unmarshal(b, &cats)
	have := 0
	for _, k := range cats.Items {
		have += k.Circles
	}
	if have < c.circles {
		if err := c.fill(ctx, cl, stderr, c.circles-have); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "directory: %d open circles (and about %d closed ones)\n", max(have, c.circles), max(have, c.circles)/4)
	search := func(lang int) func(w, i int, rng *rand.Rand) string {
		return func(w, i int, rng *rand.Rand) string {
			q := searchTopics[rng.IntN(len(searchTopics))][lang]
			if rng.IntN(3) == 0 {
				q += " " + searchPlaces[rng.IntN(len(searchPlaces))][lang]
			}
			if i%50 == 0 {
				q = closedMark
			}
			code, b, err := cl.call("GET", "/api/v1/circles?q="+url.QueryEscape(q), "", "", nil)
			if f := failure(code, b, err)(200); f != "" {
				return f
			}
			var res struct{ Items []struct{ Name string } }
			json.Unmarshal(b, &res)
			if q == closedMark && len(res.Items) > 0 {
				return "a closed circle was found"
			}
			return ""
		}
	}
	for lang, name := range []string{"Chinese", "English"} {
		st := drive(ctx, stderr, "searching in "+name, c.concurrency, c.duration/2, search(lang))
		st.print(stdout, "searches in "+name, "failed")
	}
	return nil
}

// fill creates n open circles (and a closed one for every four) through
// the API, owned by a few new users.
func (c searchLoad) fill(ctx context.Context, cl *caller, stderr io.Writer, n int) error {
	owners, err := registerUsers(stderr, cl.call, "dir_"+randomHex(3), 20, 0)
	if err != nil {
		return err
	}
	total := n + n/4
	bar := newProgress(stderr, "filling the directory", false)
	var made atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for i := range next {
				t, p, k := searchTopics[rng.IntN(len(searchTopics))], searchPlaces[rng.IntN(len(searchPlaces))], searchKinds[rng.IntN(len(searchKinds))]
				t2 := searchTopics[rng.IntN(len(searchTopics))]
				body := map[string]any{
					"name":        fmt.Sprintf("%s%s%s %s %s", p[0], t[0], k[0], p[1], t[1]),
					"category":    searchCategories[rng.IntN(len(searchCategories))],
					"description": fmt.Sprintf("在%s一起%s，也聊%s。%s people into %s, and %s too.", p[0], t[0], t2[0], p[1], t[1], t2[1]),
				}
				if i%5 == 4 {
					body["visibility"] = "closed"
					body["name"] = closedMark + body["name"].(string)
				}
				code, b, err := cl.call("POST", "/api/v1/circles", owners[i%len(owners)].token, "", body)
				if f := failure(code, b, err)(201); f != "" {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("creating a circle: %s %s", f, b)
					}
					mu.Unlock()
				}
				bar.update(int(made.Add(1)), total)
			}
		}()
	}
	for i := 0; i < total && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	bar.finish()
	return firstErr
}
