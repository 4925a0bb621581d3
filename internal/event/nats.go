package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The JetStream stream that carries events between nodes. Events are
// short-lived — a client that missed some reads them from the database —
// so the stream keeps an hour, within a size bound.
const (
	NATSStream   = "QUANZI"
	natsPrefix   = "quanzi." // an event's NATS subject is this and its own
	natsMaxAge   = time.Hour
	natsMaxBytes = 1 << 30
	// natsDupWindow is how long JetStream remembers event ids: a relay
	// that publishes an event again within it (after a failed delete, or a
	// lost acknowledgement) is not heard twice.
	natsDupWindow = 2 * time.Minute
	headerAt      = "Quanzi-At" // the event's time, in microseconds
)

type natsBus struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	cc     jetstream.ConsumeContext
	log    *slog.Logger
	warned atomic.Int64 // when the consumer last logged a problem (Unix seconds)
}

// DialNATS connects to NATS at url and makes sure the JetStream stream
// exists, for a bus shared by every node: each publishes there, and each
// hears everything published from the moment it connects (an ordered
// consumer of its own, delivering new messages). A connection lost later
// is re-established by itself, and logged.
func DialNATS(ctx context.Context, rawURL string, log *slog.Logger) (Bus, error) {
	if log == nil {
		log = slog.Default()
	}
	where := redactURL(rawURL)
	nc, err := nats.Connect(rawURL,
		nats.Name("quanzi"),
		nats.Timeout(5*time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("lost the connection to NATS; reconnecting", "nats", where, "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("reconnected to NATS", "nats", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Warn("NATS", "error", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", where, err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(publishTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("NATS at %s: %w", where, err)
	}
	cfg := jetstream.StreamConfig{
		Name:        NATSStream,
		Description: "quanzi's events, between nodes",
		Subjects:    []string{natsPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      natsMaxAge,
		MaxBytes:    natsMaxBytes,
		Duplicates:  natsDupWindow,
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := js.CreateOrUpdateStream(sctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another node created it a moment ago
		stream, err = js.CreateOrUpdateStream(sctx, cfg)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("setting up the JetStream stream %s on NATS at %s (is JetStream on: nats-server -js?): %w", NATSStream, where, err)
	}
	return &natsBus{nc: nc, js: js, stream: stream, log: log}, nil
}

func (b *natsBus) Listen(deliver func(Event)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return fmt.Errorf("subscribing to the JetStream stream %s: %w", NATSStream, err)
	}
	b.cc, err = cons.Consume(func(m jetstream.Msg) {
		h := m.Headers()
		ev := Event{ID: h.Get(jetstream.MsgIDHeader), Subject: strings.TrimPrefix(m.Subject(), natsPrefix), Data: m.Data()}
		if us, err := strconv.ParseInt(h.Get(headerAt), 10, 64); err == nil {
			ev.At = time.UnixMicro(us).UTC()
		}
		deliver(ev)
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		// While NATS is away the consumer reports each missed heartbeat;
		// one line a minute says enough.
		now := time.Now().Unix()
		if last := b.warned.Load(); now-last >= 60 && b.warned.CompareAndSwap(last, now) {
			b.log.Warn("receiving events from NATS", "error", err)
		}
	}))
	if err != nil {
		return fmt.Errorf("subscribing to the JetStream stream %s: %w", NATSStream, err)
	}
	return nil
}

// Publish publishes evs in order without waiting between them, then waits
// for JetStream to acknowledge each. An event's id is its message id, so
// JetStream drops a repeat within natsDupWindow.
func (b *natsBus) Publish(ctx context.Context, evs []Event) error {
	acks := make([]jetstream.PubAckFuture, 0, len(evs))
	for _, ev := range evs {
		m := nats.NewMsg(natsPrefix + ev.Subject)
		m.Data = ev.Data
		m.Header.Set(headerAt, strconv.FormatInt(ev.At.UnixMicro(), 10))
		ack, err := b.js.PublishMsgAsync(m, jetstream.WithMsgID(ev.ID), jetstream.WithExpectStream(NATSStream))
		if err != nil {
			return fmt.Errorf("publishing to NATS: %w", err)
		}
		acks = append(acks, ack)
	}
	for _, ack := range acks {
		select {
		case <-ack.Ok():
		case err := <-ack.Err():
			return fmt.Errorf("publishing to NATS: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("publishing to NATS: %w", ctx.Err())
		}
	}
	return nil
}

func (b *natsBus) Close() error {
	if b.cc != nil {
		b.cc.Stop()
	}
	b.nc.Close()
	return nil
}

// redactURL hides a password in a NATS URL, for messages and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
