package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// archiver is what archiving differs in between creditors and debtors.
type archiver struct {
	kind    string
	version func(c echo.Context, id string) (int64, error) // 404 problem when missing
	command func(id, reason string) collection.Command
	render  func(c echo.Context, status int, id string) error
}

// archive archives a party, keeping its history: DELETE /{id}[?reason=].
// With If-Match, a stale version answers 412 and changes nothing.
func (s *Server) archive(c echo.Context, a archiver) error {
	id, err := pathID(c, a.kind)
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	reason, err := archiveReason(c)
	if err != nil {
		return err
	}
	version, err := a.version(c, id)
	if err != nil {
		return err
	}
	if err := checkVersion(expected, version); err != nil {
		return err
	}
	commandID := newID()
	res, err := s.submit(c, commandID, expected, a.command(id, reason), id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	if !res.visible {
		return pending(c, commandID)
	}
	return a.render(c, http.StatusOK, id)
}

// checkVersion answers 412 before submitting when If-Match already names
// an older version than the read model's; the decider checks again.
func checkVersion(expected, current int64) error {
	if expected != collection.AnyVersion && expected != current {
		return fromDomain(collection.Reject(collection.CodeVersionConflict, staleVersion(expected, current)))
	}
	return nil
}

// archiveReason reads the optional ?reason= of an archive.
func archiveReason(c echo.Context) (string, error) {
	for name := range c.QueryParams() {
		if name != "reason" {
			return "", invalidRequest("unknown query parameter",
				collection.FieldError{Field: name, Reason: "unknown parameter; only reason is accepted"})
		}
	}
	reason := c.QueryParam("reason")
	if len([]rune(reason)) > 500 {
		return "", invalidRequest("the reason is too long", collection.FieldError{Field: "reason", Reason: "at most 500 characters"})
	}
	return reason, nil
}

// creditorArchive: DELETE /api/v1/creditors/:id.
func (s *Server) creditorArchive(c echo.Context) error {
	return s.archive(c, archiver{
		kind: "creditor",
		version: func(c echo.Context, id string) (int64, error) {
			row, err := s.creditorRow(c, id)
			return row.Version, err
		},
		command: func(id, reason string) collection.Command { return collection.ArchiveCreditor{ID: id, Reason: reason} },
		render:  s.renderCreditor,
	})
}

// debtorArchive: DELETE /api/v1/debtors/:id.
func (s *Server) debtorArchive(c echo.Context) error {
	return s.archive(c, archiver{
		kind: "debtor",
		version: func(c echo.Context, id string) (int64, error) {
			row, err := s.debtorRow(c, id)
			return row.Version, err
		},
		command: func(id, reason string) collection.Command { return collection.ArchiveDebtor{ID: id, Reason: reason} },
		render:  s.renderDebtor,
	})
}
