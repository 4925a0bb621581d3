package post

import (
	"testing"
	"time"
)

func TestDurationZH(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                   "1 秒",
		30 * time.Second:                    "30 秒",
		90 * time.Second:                    "1 分钟 30 秒",
		time.Hour + 5*time.Minute:           "1 小时 5 分钟",
		2*time.Hour + 1500*time.Millisecond: "2 小时 2 秒",
	} {
		if got := durationZH(d); got != want {
			t.Errorf("durationZH(%v) = %q, want %q", d, got, want)
		}
	}
}
