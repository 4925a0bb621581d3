package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"sync"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/media"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/rollout"
	"github.com/quanzi/quanzi/internal/screen"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/wallet"
)

// codeInfo is what the API says about an error code.
type codeInfo struct {
	Status int
	Title  string
}

// codes is the one table from error code to HTTP status. A code missing
// here is a bug: TestEveryCodeHasAStatus finds the ones the parts declare.
var codes = map[errs.Code]codeInfo{
	errs.BadRequest:      {400, "Bad request"},
	errs.MalformedJSON:   {400, "Malformed JSON"},
	errs.UnknownField:    {400, "Unknown field"},
	errs.WrongType:       {400, "Wrong type"},
	errs.InvalidCursor:   {400, "Invalid cursor"},
	errs.Unauthenticated: {401, "Not signed in"},
	errs.Forbidden:       {403, "Forbidden"},
	errs.NotFound:        {404, "Not found"},
	errMethodNotAllowed:  {405, "Method not allowed"},
	errs.Conflict:        {409, "Conflict"},
	errs.TooLarge:        {413, "Request too large"},
	errs.UnsupportedType: {415, "Unsupported media type"},
	errs.Invalid:         {422, "Invalid value"},
	errs.RateLimited:     {429, "Too many requests"},
	errs.Internal:        {500, "Internal error"},
	errs.Unavailable:     {503, "Service unavailable"},

	account.CodeHandleTaken:        {409, "Handle taken"},
	account.CodeInvalidCredentials: {401, "Invalid credentials"},
	account.CodeTooManyAttempts:    {429, "Too many attempts"},
	account.CodeAlreadyDecided:     {409, "Already decided"},
	account.CodeClaimPending:       {409, "Claim already pending"},
	account.CodePINRequired:        {403, "Payment PIN required"},
	account.CodePINIncorrect:       {403, "Payment PIN incorrect"},
	account.CodePINLocked:          {423, "Payment PIN locked"},

	ledger.CodeInsufficientFunds: {422, "Insufficient funds"},
	ledger.CodeAlreadyReversed:   {409, "Already reversed"},

	post.CodeEmpty:        {422, "Empty post"},
	post.CodeTooLong:      {422, "Text too long"},
	post.CodeTooManyMedia: {422, "Too many pictures"},
	post.CodeMedia:        {422, "Picture not found"},
	post.CodeMediaInUse:   {409, "Picture already used"},
	post.CodeEditWindow:   {409, "Edit window closed"},
	post.CodeInReview:     {409, "Post in review"},
	post.CodeAlreadyLiked: {409, "Already liked"},
	post.CodeNotLiked:     {409, "Not liked"},
	post.CodeReplyDepth:   {422, "Reply too deep"},
	post.CodeOwnPost:      {422, "Own post"},
	post.CodeTipRange:     {422, "Tip out of range"},
	post.CodeTipCap:       {422, "Daily tip cap reached"},
	post.CodeTooManyPins:  {409, "Too many pinned posts"},
	post.CodeReported:     {409, "Post reported"},
	post.CodeSlowMode:     {429, "Slow mode"},
	post.CodePostLimit:    {429, "Post limit reached"},
	post.CodeBlockedWords: {422, "Blocked words"},
	post.CodeBlockedImage: {422, "Blocked picture"},

	screen.CodeListed: {409, "Already listed"},

	media.CodeTooManyUploads: {429, "Too many uploads waiting"},

	moderation.CodeUnknownReason:   {422, "Unknown reason"},
	moderation.CodeAlreadyReported: {409, "Already reported"},
	moderation.CodeOwnContent:      {403, "Own content"},
	moderation.CodeAlreadyAppealed: {409, "Already appealed"},
	moderation.CodeAppealClosed:    {409, "Appeal window closed"},
	moderation.CodeSameDecider:     {403, "Decided by someone else"},

	wallet.CodeCurrencyMismatch:   {422, "Currency mismatch"},
	wallet.CodePaymentDeclined:    {402, "Payment declined"},
	wallet.CodeGatewayUnavailable: {502, "Gateway unavailable"},
	wallet.CodeRecipient:          {422, "Recipient unavailable"},
	wallet.CodeAlreadySettled:     {409, "Withdrawal already decided"},
	wallet.CodeRequestExpired:     {410, "Payment request expired"},
	wallet.CodeRequestPaid:        {409, "Payment request already paid"},
	wallet.CodeRequestCancelled:   {409, "Payment request cancelled"},
	wallet.CodeLimitExceeded:      {422, "Limit exceeded"},

	circle.CodeSlugTaken:       {409, "Slug taken"},
	circle.CodeUnknownCategory: {422, "Unknown category"},
	circle.CodeAlreadyMember:   {409, "Already a member"},
	circle.CodeBanned:          {403, "Banned from this circle"},
	circle.CodeMuted:           {403, "Muted"},
	circle.CodeInviteExpired:   {410, "Invite expired"},
	circle.CodeInviteUsedUp:    {410, "Invite used up"},
	circle.CodeInviteRevoked:   {410, "Invite withdrawn"},
	circle.CodeInviteRequired:  {403, "Invitation required"},
	circle.CodeRequestPending:  {409, "Request already pending"},
	circle.CodeArchived:        {409, "Circle archived"},

	policy.CodeInvalid: {422, "Invalid policy"},

	social.CodeBlocked:         {403, "Blocked"},
	social.CodeAlreadyFriends:  {409, "Already friends"},
	social.CodeRequestPending:  {409, "Friend request already pending"},
	social.CodeUserUnavailable: {422, "User unavailable"},
	social.CodeMessagesClosed:  {403, "Messages closed"},
	social.CodeRequestDeclined: {403, "Message request declined"},

	rollout.CodeUnavailable: {404, "Feature not available"},
	policy.CodeDenied:       {403, "Not allowed by the circle's rules"},

	notify.CodeUnknownNotification: {404, "Unknown notification"},
	notify.CodeBadLastEventID:      {400, "Invalid Last-Event-ID"},

	media.CodeEmptyFile:         {422, "Empty file"},
	media.CodeExtensionMismatch: {422, "File name does not match its content"},
	media.CodeImageTooLarge:     {422, "Picture too large"},
	media.CodeTooManyFrames:     {422, "Too many frames"},
	media.CodeCorruptImage:      {422, "Picture cannot be read"},

	idempotency.CodeMismatch:   {422, "Idempotency key reused"},
	idempotency.CodeInProgress: {409, "Request in progress"},
	idempotency.CodeInvalidKey: {400, "Invalid idempotency key"},

	// Moderation's sanctions: suspended accounts, frozen wallets, circles
	// the platform closed.
	account.CodeSuspended:           {403, "Account suspended"},
	wallet.CodeFrozen:               {403, "Wallet frozen"},
	moderation.CodeAlreadySuspended: {409, "Already suspended"},
	circle.CodeShut:                 {409, "Circle closed by the platform"},
}

const errMethodNotAllowed errs.Code = "method_not_allowed"

// Status is the HTTP status that answers an error with code, for the web
// app's pages, which show the same errors.
func Status(code errs.Code) int { return infoOf(code).Status }

func infoOf(code errs.Code) codeInfo {
	if c, ok := codes[code]; ok {
		return c
	}
	return codes[errs.Internal]
}

// problem is an RFC 9457 problem document with quanzi's extensions.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Extra members (a policy's unmet condition, a limit's remainder …)
	// are merged in by MarshalJSON.
	Extra map[string]any `json:"-"`
}

func (p problem) MarshalJSON() ([]byte, error) {
	type plain problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	m := map[string]any{}
	for k, v := range p.Extra {
		m[k] = v
	}
	var base map[string]any
	json.Unmarshal(b, &base)
	for k, v := range base { // the standard members win
		m[k] = v
	}
	return json.Marshal(m)
}

// problemFor builds the document for err. Internal errors show a generic
// sentence: their cause goes to the log, never to the client.
func problemFor(err error, requestID string) problem {
	e := errs.As(err)
	info := infoOf(e.Code)
	detail := e.Message
	if info.Status >= 500 && e.Code == errs.Internal {
		detail = "Something went wrong on our side. It has been logged; please try again, and quote the request id if it persists."
	}
	return problem{
		Type:      "/api/problems/" + string(e.Code),
		Title:     info.Title,
		Status:    info.Status,
		Detail:    detail,
		Code:      string(e.Code),
		Field:     e.Field,
		RequestID: requestID,
		Extra:     e.Extra,
	}
}

const problemContentType = "application/problem+json"

// writeError writes err as problem+json and logs what the client does not see.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errs.As(err)
	p := problemFor(e, requestID(r.Context()))
	if p.Status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "code", e.Code, "error", e.Error())
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="quanzi"`)
	}
	body, _ := json.Marshal(p)
	writeBody(w, p.Status, problemContentType, body)
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// bodies recycles the buffers that feed pages are encoded into (about
// 10 KB each): allocating one per request was a good part of the garbage
// a feed request made.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

// writeAppended writes, with status 200, the JSON that appendJSON appends
// to a recycled buffer.
func writeAppended(w http.ResponseWriter, appendJSON func([]byte) ([]byte, error)) error {
	buf := bodies.Get().(*[]byte)
	b, err := appendJSON((*buf)[:0])
	if err != nil {
		bodies.Put(buf)
		return err
	}
	b = append(b, '\n')
	writeBody(w, http.StatusOK, "application/json", b) // Write keeps no reference to b
	if cap(b) <= 256<<10 {
		*buf = b
		bodies.Put(buf)
	}
	return nil
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, "application/json", body)
}

func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// problemCodes lists the table for the documentation endpoint.
func problemCodes() []map[string]any {
	var out []map[string]any
	for c, info := range codes {
		out = append(out, map[string]any{"code": c, "status": info.Status, "title": info.Title})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["code"].(errs.Code) < out[j]["code"].(errs.Code) })
	return out
}
