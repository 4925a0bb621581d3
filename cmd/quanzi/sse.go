package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	id, event, data string
}

// openStream opens a notification stream on a quanzi server, resuming
// after lastID unless it is empty.
func openStream(ctx context.Context, client *http.Client, base, token, lastID string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/notifications/stream", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1000))
		res.Body.Close()
		return nil, fmt.Errorf("opening the stream: %d %s", res.StatusCode, strings.TrimSpace(string(b)))
	}
	return res, nil
}

// readEvents reads server-sent events from r and hands each (but
// comments and the retry hint) to got, until r ends or got returns false.
func readEvents(r io.Reader, got func(sseEvent) bool) error {
	rd := bufio.NewReaderSize(r, 1024)
	var ev sseEvent
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if ev.event != "" && !got(ev) {
				return nil
			}
			ev = sseEvent{}
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimPrefix(v, " ")
		switch k {
		case "id":
			ev.id = v
		case "event":
			ev.event = v
		case "data":
			ev.data = v
		}
	}
}
