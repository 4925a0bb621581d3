package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// decode reads a JSON request body into v, strictly.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// decodeOptional is decode for requests whose body may be left out
// entirely (every field optional).
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(w, r, v)
}

// MaxJSONBody is the largest JSON request body accepted.
const MaxJSONBody = 1 << 20

// readJSON reads a JSON request body, refusing other content types and
// bodies over MaxJSONBody.
func readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, errs.E(errs.UnsupportedType, "Send the body as JSON with the header Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errs.E(errs.TooLarge, "The request body is larger than the limit of %d bytes.", MaxJSONBody)
	}
	if err != nil {
		return nil, errs.E(errs.BadRequest, "The request body could not be read.")
	}
	return body, nil
}

// decodeStrict decodes one JSON object into v: unknown fields, wrong
// types and anything after the object are refused.
func decodeStrict(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return errs.E(errs.MalformedJSON, "The request body is empty; it must be a JSON object.")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.E(errs.MalformedJSON, "The request body has more data after its JSON object; send exactly one object.")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return errs.E(errs.MalformedJSON, "The request body is not valid JSON (at byte %d: %s).", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.MalformedJSON, "The request body ends before its JSON is complete.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errs.E(errs.WrongType, "The request body must be a JSON object, not %s.", jsonKind(typ.Value))
		}
		return &errs.Error{Code: errs.WrongType, Field: typ.Field,
			Message: "The field \"" + typ.Field + "\" must be " + goTypeName(typ.Type.Kind().String()) + ", not " + jsonKind(typ.Value) + "."}
	case errors.As(err, new(*time.ParseError)):
		return errs.E(errs.WrongType, "A time must be written like 2026-05-20T13:14:00Z (RFC 3339).")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json reports unknown fields only in its message text.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Code: errs.UnknownField, Field: name, Message: "The field \"" + name + "\" is not one this request accepts."}
	}
	return errs.E(errs.MalformedJSON, "The request body is not valid JSON.")
}

func jsonKind(v string) string {
	switch v {
	case "string":
		return "a string"
	case "number", "number ":
		return "a number"
	case "bool":
		return "true or false"
	case "array":
		return "an array"
	case "object":
		return "an object"
	}
	if strings.HasPrefix(v, "number") {
		return "a number that fits"
	}
	return v
}

func goTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}
