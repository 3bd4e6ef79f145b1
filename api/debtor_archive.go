package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/collection"
	"github.com/adc-dz/tahsil/events"
)

// debtorArchive archives a debtor, keeping its history:
// DELETE /api/v1/debtors/:id[?reason=].
func (s *Server) debtorArchive(c echo.Context) error {
	id, err := pathID(c, "debtor")
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
	row, err := s.debtorRow(ctx, id)
	if err != nil {
		return err
	}
	if expected != collection.AnyVersion && expected != row.Version {
		return fromDomain(collection.Reject(collection.CodeVersionConflict, staleVersion(expected, row.Version)))
	}
	commandID := newID()
	res, err := s.submit(c, commandID, expected, collection.ArchiveDebtor{ID: id, Reason: reason}, id)
	if errors.Is(err, events.ErrPending) {
		return pending(c, commandID)
	}
	if err != nil {
		return err
	}
	if !res.visible {
		return pending(c, commandID)
	}
	return s.renderDebtor(c, http.StatusOK, id)
}
