package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// creditorArchive archives a creditor, keeping its history:
// DELETE /api/v1/creditors/:id[?reason=].
func (s *Server) creditorArchive(c echo.Context) error {
	id, err := pathID(c, "creditor")
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
	ctx := c.Request().Context()
	row, err := s.creditorRow(ctx, id)
	if err != nil {
		return err
	}
	if expected != collection.AnyVersion && expected != row.Version {
		return fromDomain(collection.Reject(collection.CodeVersionConflict, staleVersion(expected, row.Version)))
	}
	commandID := newID()
	res, err := s.submit(c, commandID, expected, collection.ArchiveCreditor{ID: id, Reason: reason}, id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	if !res.visible {
		return pending(c, commandID)
	}
	return s.renderCreditor(c, http.StatusOK, id)
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
