package screen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"
)

// Classifier is an outside service that scores pictures: the upload
// endpoint sends it each picture and stores the score; a post with a
// picture scored at or above Hold, or not scored at all, waits for review.
type Classifier struct {
	URL    string       // POST endpoint: the image bytes in, {"score": 0..1} out
	Hold   float64      // a score at or above this holds the post
	Client *http.Client // nil: a client of its own
}

// Classifier limits.
const (
	ClassifierTimeout  = 5 * time.Second
	maxClassifierReply = 64 << 10
	DefaultHold        = 0.8
)

var classifierClient = &http.Client{Timeout: ClassifierTimeout}

// Score asks the classifier for a picture's score, from 0 (harmless) to
// 1. Any failure — unreachable, slow, a status other than 200, a reply
// that is not a score — is an error; the caller decides what it means.
func (c *Classifier) Score(ctx context.Context, data []byte, mime string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, ClassifierTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("classifier: %w", err)
	}
	req.Header.Set("Content-Type", mime)
	req.Header.Set("Accept", "application/json")
	client := c.Client
	if client == nil {
		client = classifierClient
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("classifier: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxClassifierReply+1))
	if err != nil {
		return 0, fmt.Errorf("classifier: reading the reply: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("classifier: answered %s", res.Status)
	}
	if len(body) > maxClassifierReply {
		return 0, fmt.Errorf("classifier: the reply is over %d bytes", maxClassifierReply)
	}
	var reply struct {
		Score *float64 `json:"score"`
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		return 0, fmt.Errorf("classifier: the reply is not JSON: %w", err)
	}
	if reply.Score == nil || math.IsNaN(*reply.Score) || *reply.Score < 0 || *reply.Score > 1 {
		return 0, fmt.Errorf("classifier: the reply has no score from 0 to 1: %.100s", body)
	}
	return *reply.Score, nil
}
