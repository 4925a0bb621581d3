package event

import "context"

// Bus carries published events to every node's subscribers.
type Bus interface {
	// Publish carries events, in order. It returns once the bus holds
	// them: delivered locally, or acknowledged by JetStream. An error
	// means some may not have gone; the relay publishes them all again.
	Publish(ctx context.Context, evs []Event) error
	// Listen hands every event on the bus, from any node, to deliver, one
	// at a time. It is called once, before the first Publish.
	Listen(deliver func(Event)) error
	// Close stops listening and lets go of the bus.
	Close() error
}

// Local returns the in-process bus: publishing an event hands it to this
// process's subscribers at once.
func Local() Bus { return &local{} }

type local struct{ deliver func(Event) }

func (l *local) Listen(deliver func(Event)) error { l.deliver = deliver; return nil }

func (l *local) Publish(ctx context.Context, evs []Event) error {
	for _, ev := range evs {
		l.deliver(ev)
	}
	return nil
}

func (l *local) Close() error { return nil }
