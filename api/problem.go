package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
)

// ProblemContentType is the media type of every error body (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details body. Errors names each invalid
// field and why, so a client can fix every problem in one round trip.
type Problem struct {
	Type       string                  `json:"type"`
	Title      string                  `json:"title"`
	Status     int                     `json:"status"`
	Detail     string                  `json:"detail,omitempty"`
	Instance   string                  `json:"instance,omitempty"`
	Errors     []collection.FieldError `json:"errors"`
	ExistingID string                  `json:"existing_id,omitempty"`
	CommandID  string                  `json:"command_id,omitempty"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// problemTypeBase prefixes each problem type slug. Slugs are part of the API
// contract: clients switch on them.
const problemTypeBase = "https://tahsil.adc.dz/problems/"

func problem(status int, slug, title, detail string, errs ...collection.FieldError) *Problem {
	if errs == nil {
		errs = []collection.FieldError{}
	}
	return &Problem{Type: problemTypeBase + slug, Title: title, Status: status, Detail: detail, Errors: errs}
}

func invalidRequest(detail string, errs ...collection.FieldError) *Problem {
	return problem(http.StatusUnprocessableEntity, "validation", "The request has invalid fields", detail, errs...)
}

func badRequest(detail string, errs ...collection.FieldError) *Problem {
	return problem(http.StatusBadRequest, "bad-request", "The request cannot be read", detail, errs...)
}

func notFound(kind, id string) *Problem {
	return problem(http.StatusNotFound, "not-found", "Not found", fmt.Sprintf("no %s with id %s", kind, id))
}

// fromDomain maps a domain error to its problem: the one place where domain
// rejection codes become HTTP statuses.
func fromDomain(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	rej, ok := collection.AsRejection(err)
	if !ok {
		return nil
	}
	switch rej.Code {
	case collection.CodeInvalid:
		return invalidRequest(rej.Reason, rej.Errors...)
	case collection.CodeNotFound:
		return problem(http.StatusNotFound, "not-found", "Not found", rej.Reason)
	case collection.CodeAlreadyExists:
		return problem(http.StatusConflict, "already-exists", "Already exists", rej.Reason)
	case collection.CodeArchived:
		return problem(http.StatusConflict, "archived", "The record is archived", rej.Reason)
	case collection.CodeVersionConflict:
		return problem(http.StatusPreconditionFailed, "version-conflict", "The record changed since you read it", rej.Reason,
			collection.FieldError{Field: "If-Match", Reason: rej.Reason})
	case collection.CodeMakerChecker:
		return problem(http.StatusForbidden, "maker-checker", "Another person must decide", rej.Reason)
	case collection.CodeWrongStatus:
		// The slug is the code, as it was before this case existed: the
		// account routes published it ("wrong_status"), clients switch on it.
		return problem(http.StatusConflict, collection.CodeWrongStatus, "Not allowed in the current status", rej.Reason, rej.Errors...)
	case collection.CodeNoChange:
		return problem(http.StatusUnprocessableEntity, "no-change", "Nothing to change", rej.Reason)
	default:
		return problem(http.StatusConflict, rej.Code, "The command was rejected", rej.Reason, rej.Errors...)
	}
}

// errorHandler answers every error as problem+json and logs, once, the
// ones that are the server's fault. Internal error text never reaches the
// client.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := fromDomain(err)
	if p == nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			p = fromHTTPError(he)
		} else {
			s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
			p = problem(http.StatusInternalServerError, "internal", "Internal error", "the server could not complete the request; it has been logged")
		}
	}
	p.Instance = c.Request().URL.Path
	if p.Status >= 500 && p.Type != problemTypeBase+"internal" {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "status", p.Status, "detail", p.Detail)
	}
	c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
	if c.Request().Method == http.MethodHead {
		c.Response().WriteHeader(p.Status)
		return
	}
	c.Response().WriteHeader(p.Status)
	_ = writeJSON(c.Response(), p)
}

func fromHTTPError(he *echo.HTTPError) *Problem {
	detail := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok {
		detail = m
	}
	switch he.Code {
	case http.StatusRequestEntityTooLarge:
		return problem(he.Code, "too-large", "Request body too large", "the request body exceeds the limit of 1 MiB")
	case http.StatusNotFound:
		return problem(he.Code, "not-found", "Not found", "no such resource")
	case http.StatusMethodNotAllowed:
		return problem(he.Code, "method-not-allowed", "Method not allowed", detail)
	case http.StatusUnsupportedMediaType:
		return problem(he.Code, "unsupported-media-type", "Unsupported media type", detail)
	}
	return problem(he.Code, "http-"+fmt.Sprint(he.Code), http.StatusText(he.Code), detail)
}
