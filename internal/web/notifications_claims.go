package web

import "github.com/quanzi/quanzi/internal/notify"

// claimDecision writes a reviewer's decision on one of the reader's
// verification claims as a sentence in the reader's language, with the
// reviewer's reason as its detail.
func claimDecision(p *Page, n notify.Notification) (sentence, detail string) {
	kind, value, reason, ok := notify.ClaimNote(n.Text)
	if !ok { // not our text: say what happened without the particulars
		switch n.Kind {
		case notify.KindClaimApproved:
			return p.T("A reviewer verified one of your claims"), ""
		case notify.KindClaimRejected:
			return p.T("A reviewer rejected one of your claims"), n.Text
		}
		return p.T("A reviewer revoked one of your verified attributes"), n.Text
	}
	label, shown := kindLabel(p, kind), attrValue(p, kind, value)
	switch n.Kind {
	case notify.KindClaimApproved:
		return p.T("Your claim is verified: %s, %s", label, shown), ""
	case notify.KindClaimRejected:
		return p.T("Your claim was rejected: %s, %s", label, shown), reason
	}
	return p.T("Your verified attribute was revoked: %s, %s", label, shown), reason
}
