// Package errs gives every part of quanzi one way to say what went wrong:
// an error carries a stable machine code and a sentence a person can read.
// Capabilities return these errors; the api package maps each code to an
// HTTP status in one table and writes it as problem+json.
package errs

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Code is a stable, machine-readable error code. Clients may switch on it,
// so a code, once published, keeps its meaning.
type Code string

// The generic codes. Capabilities add their own specific codes (and the api
// package's status table must know each of them).
const (
	Internal        Code = "internal"       // a fault of ours; details are logged, never shown
	Unavailable     Code = "unavailable"    // a dependency is busy or down; retry later
	Invalid         Code = "invalid"        // a field's value breaks a rule
	BadRequest      Code = "bad_request"    // the request cannot be understood
	MalformedJSON   Code = "malformed_json" // the body is not JSON
	UnknownField    Code = "unknown_field"  // the body names a field we do not accept
	WrongType       Code = "wrong_type"     // a field has the wrong JSON type
	TooLarge        Code = "too_large"      // the body exceeds its limit
	UnsupportedType Code = "unsupported_media_type"
	InvalidCursor   Code = "invalid_cursor"
	Unauthenticated Code = "unauthenticated" // no valid credentials
	Forbidden       Code = "forbidden"       // authenticated but not allowed
	NotFound        Code = "not_found"
	Conflict        Code = "conflict"
	RateLimited     Code = "rate_limited"
)

// Error is an error with a code, a human message and optional extras.
type Error struct {
	Code    Code
	Message string // one sentence for a person; never contains secrets
	// Translations holds the message in other languages, by language tag
	// ("zh"), for callers that show it to people who read those. It is
	// never serialized by itself: the api package builds its problem
	// document from chosen fields, and the web app picks one with In.
	Translations map[string]string
	// Field names the request field at fault, for Invalid and its kin.
	Field string
	// RetryAfter, when positive, tells the client when to try again.
	RetryAfter time.Duration
	// Extra holds further members for the problem document.
	Extra map[string]any
	// Err is the underlying cause, logged but never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// In returns the message in lang, such as "zh", or the English Message
// when there is no translation into it.
func (e *Error) In(lang string) string {
	if t := e.Translations[lang]; t != "" {
		return t
	}
	return e.Message
}

// E returns an error with code and a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about one request field.
func Field(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Internal error that keeps err as its cause. The message
// shown to clients stays generic.
func Wrap(err error, format string, args ...any) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of err: its own if it carries one, Internal
// otherwise, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// As returns err as an *Error, wrapping an uncoded error as Internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "Something went wrong on our side.", Err: err}
}

// Clip shortens text from a client to n characters (with "…") for quoting
// in a message.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
