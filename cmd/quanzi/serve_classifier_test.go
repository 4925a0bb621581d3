package main

import (
	"errors"
	"testing"
)

func TestClassifierFlagsAreChecked(t *testing.T) {
	for _, c := range []struct {
		url  string
		hold float64
		ok   bool
	}{
		{"", 0.8, true},
		{"http://127.0.0.1:9000/score", 0.8, true},
		{"https://classifier.internal/v1", 1, true},
		{"ftp://classifier/score", 0.8, false},
		{"127.0.0.1:9000", 0.8, false},
		{"http://", 0.8, false},
		{"http://127.0.0.1:9000", 0, false},
		{"http://127.0.0.1:9000", 1.5, false},
	} {
		cl, err := serveConfig{classifier: c.url, classifierHold: c.hold}.classifierConfig()
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, errUsage)) {
			t.Errorf("--classifier %q --classifier-hold %v: %v", c.url, c.hold, err)
		}
		if c.ok && (cl == nil) != (c.url == "") {
			t.Errorf("--classifier %q: got %+v", c.url, cl)
		}
		if cl != nil && (cl.URL != c.url || cl.Hold != c.hold) {
			t.Errorf("--classifier %q: got %+v", c.url, cl)
		}
	}
}
