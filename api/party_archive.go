package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
)

// archiver is what archiving differs in between creditors and debtors
// (an eraser is one too, with its own command).
type archiver struct {
	kind    string
	version func(c echo.Context, id string) (int64, error) // 404 problem when missing
	command func(id, reason string) collection.Command
	render  func(c echo.Context, status int, id string) error
}

// archive archives a party, keeping its history: DELETE /{id}[?reason=].
// With If-Match, a stale version answers 412 and changes nothing.
func (s *Server) archive(c echo.Context, a archiver) error {
	return s.closeParty(c, a, archiveReason, nil)
}

// closeParty submits a party's archive or erasure. It reads the command's
// reason with reason, checks If-Match against the read model, then runs
// check (nil: none), the rules that span aggregates and so escape the
// decider. It answers the party as the read models then show it, or 202
// when they are late.
func (s *Server) closeParty(c echo.Context, a archiver, reason func(echo.Context) (string, error),
	check func(ctx context.Context, id string) error) error {
	id, err := pathID(c, a.kind)
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	why, err := reason(c)
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
	if check != nil {
		if err := check(c.Request().Context(), id); err != nil {
			return err
		}
	}
	commandID := newID()
	res, err := s.submit(c, commandID, expected, a.command(id, why), id)
	if late(res, err) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
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
func (s *Server) creditorArchive(c echo.Context) error { return s.archive(c, s.creditorArchiver()) }

// debtorArchive: DELETE /api/v1/debtors/:id.
func (s *Server) debtorArchive(c echo.Context) error { return s.archive(c, s.debtorArchiver()) }

func (s *Server) creditorArchiver() archiver {
	return archiver{
		kind: "creditor",
		version: func(c echo.Context, id string) (int64, error) {
			row, err := s.creditorRow(c, id)
			return row.Version, err
		},
		command: func(id, reason string) collection.Command { return collection.ArchiveCreditor{ID: id, Reason: reason} },
		render:  s.renderCreditor,
	}
}

func (s *Server) debtorArchiver() archiver {
	return archiver{
		kind: "debtor",
		version: func(c echo.Context, id string) (int64, error) {
			row, err := s.debtorRow(c, id)
			return row.Version, err
		},
		command: func(id, reason string) collection.Command { return collection.ArchiveDebtor{ID: id, Reason: reason} },
		render:  s.renderDebtor,
	}
}
