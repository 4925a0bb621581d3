package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/store"
)

// ClaimDecided tells userID that reviewerID decided their claim v, in the
// deciding transaction (account.Service.ClaimDecided). The text reads
// "Your student claim (Tsinghua University) was approved." or "… was
// rejected: <the reviewer's reason>", which ClaimNote reads back.
func (s *Service) ClaimDecided(ctx context.Context, tx *store.Tx, userID, reviewerID string, v account.Verification) error {
	kind := map[string]string{account.VerApproved: KindClaimApproved, account.VerRejected: KindClaimRejected,
		account.VerRevoked: KindClaimRevoked}[v.Status]
	if kind == "" {
		return nil
	}
	text := fmt.Sprintf("Your %s claim (%v) was %s", strings.ReplaceAll(v.Kind, "_", " "), v.Value, v.Status)
	if v.Reason != "" {
		text += ": " + v.Reason
	} else {
		text += "."
	}
	return s.Add(ctx, tx, Note{UserID: userID, Kind: kind, ActorID: reviewerID, Text: text})
}

// ClaimNote reads a claim decision's text back: the attribute's kind
// ("identity_level"), the claimed value and the reviewer's reason ("" for
// none). ok is false for a text not written by ClaimDecided.
func ClaimNote(text string) (kind, value, reason string, ok bool) {
	rest, ok := strings.CutPrefix(text, "Your ")
	if !ok {
		return "", "", "", false
	}
	kind, rest, ok = strings.Cut(rest, " claim (")
	if !ok {
		return "", "", "", false
	}
	// The value is the user's own and the reason the reviewer's: either
	// may hold ") was ". The first ") was " followed by a status word
	// ends the value.
	const sep = ") was "
	for off := 0; ; off++ {
		j := strings.Index(rest[off:], sep)
		if j < 0 {
			break
		}
		off += j
		after := rest[off+len(sep):]
		for _, st := range []string{account.VerApproved, account.VerRejected, account.VerRevoked} {
			if after == st+"." {
				return strings.ReplaceAll(kind, " ", "_"), rest[:off], "", true
			}
			if r, found := strings.CutPrefix(after, st+": "); found {
				return strings.ReplaceAll(kind, " ", "_"), rest[:off], r, true
			}
		}
	}
	return "", "", "", false
}
