package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/adc-dz/tahsil/store"
)

// creditorView is a creditor as the API shows it.
type creditorView struct {
	ID            string    `json:"id"`
	Ref           string    `json:"ref"`
	Status        string    `json:"status"`
	Name          string    `json:"name"`
	LegalForm     string    `json:"legal_form"`
	NIF           string    `json:"nif"`
	RC            string    `json:"rc"`
	Sector        string    `json:"sector"`
	Wilaya        int32     `json:"wilaya"`
	Address       string    `json:"address"`
	Phone         string    `json:"phone"`
	Email         string    `json:"email"`
	ContactName   string    `json:"contact_name"`
	CommissionBPS int32     `json:"commission_bps"`
	Erased        bool      `json:"erased"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func newCreditorView(r store.Creditor) creditorView {
	return creditorView{
		ID: r.ID, Ref: r.Ref, Status: r.Status, Name: r.Name, LegalForm: r.LegalForm, NIF: r.Nif, RC: r.Rc,
		Sector: r.Sector, Wilaya: r.Wilaya, Address: r.Address, Phone: r.Phone, Email: r.Email,
		ContactName: r.ContactName, CommissionBPS: r.CommissionBps, Erased: r.Erased, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// creditorRow reads a creditor the request may see.
func (s *Server) creditorRow(c echo.Context, id string) (store.Creditor, error) {
	row, err := s.q.CreditorGet(c.Request().Context(), store.CreditorGetParams{ID: id, ScopeCreditor: scopeOf(c).creditorsScope()})
	if errors.Is(err, pgx.ErrNoRows) {
		return row, notFound("creditor", id)
	}
	return row, err
}

func (s *Server) creditorExists(ctx context.Context, id string) (bool, error) {
	_, err := s.q.CreditorGet(ctx, store.CreditorGetParams{ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// renderCreditor answers with the creditor as the read model has it.
func (s *Server) renderCreditor(c echo.Context, status int, id string) error {
	row, err := s.creditorRow(c, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(row.Version))
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/creditors/"+id)
	}
	return c.JSON(status, newCreditorView(row))
}
