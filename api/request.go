package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

type echoContext = echo.Context

// readBody reads the whole (already size-limited) request body.
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, badRequest("the request body could not be read")
	}
	return body, nil
}

// decodeJSON decodes one JSON object strictly: unknown fields, trailing
// data and wrong types are each named in the problem.
func decodeJSON(c echo.Context, body []byte, v any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		// Media types are case-insensitive and may carry parameters
		// (charset); a mere prefix ("application/jsonp") is another type.
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != echo.MIMEApplicationJSON {
			return problem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
				"send the body as application/json")
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	// dec.More is not enough: it reports false before a stray } or ].
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

func jsonProblem(err error) *Problem {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return badRequest(fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return invalidRequest("a field has the wrong type",
			collection.FieldError{Field: field, Reason: fmt.Sprintf("must be a JSON %s", jsonKind(typ.Type.Kind().String()))})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalidRequest("the body has a field this resource does not have",
			collection.FieldError{Field: name, Reason: "unknown field"})
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("the body is truncated JSON")
	}
	return badRequest("the body is not a JSON object of the expected shape")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int32", "int64", "uint", "float64":
		return "number (integer)"
	case "string":
		return "string"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	case "ptr":
		return "value of the documented type"
	}
	return goKind
}

// pathID reads the :id parameter; a malformed id is simply not found.
func pathID(c echo.Context, kind string) (string, error) {
	id := c.Param("id")
	u, err := uuid.Parse(id)
	if err != nil || u.String() != strings.ToLower(id) {
		return "", notFound(kind, id)
	}
	return u.String(), nil
}

// ifMatch returns the version an If-Match header requires, or AnyVersion.
// ETags are the aggregate version in quotes: "3".
func ifMatch(c echo.Context) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return collection.AnyVersion, nil
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || v < 1 {
		return 0, badRequest("If-Match must be an ETag this API returned, such as \"3\"",
			collection.FieldError{Field: "If-Match", Reason: "not an ETag of this resource"})
	}
	return v, nil
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// actor describes who sent the request: the signed-in principal, or a
// visitor on the public routes; the address and agent are kept.
func actor(c echo.Context) events.Actor {
	ua := c.Request().UserAgent()
	if len(ua) > 200 {
		ua = ua[:200]
	}
	p := principalOf(c)
	a := events.Actor{UserID: p.AccountID, Role: string(p.Role), CreditorID: p.CreditorID, DebtorID: p.DebtorID,
		APIKeyID: p.APIKeyID, IP: c.RealIP(), UserAgent: ua}
	if a.Role == "" {
		a.Role = "visitor"
	}
	return a
}

// decodeBody reads and strictly decodes the JSON body into v.
func (s *Server) decodeBody(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(c, body, v)
}
