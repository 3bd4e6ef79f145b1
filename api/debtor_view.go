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

// debtorView is a debtor as the API shows it.
type debtorView struct {
	ID               string    `json:"id"`
	Ref              string    `json:"ref"`
	Status           string    `json:"status"`
	Kind             string    `json:"kind"`
	FullName         string    `json:"full_name"`
	NIN              string    `json:"nin"`
	NIF              string    `json:"nif"`
	RC               string    `json:"rc"`
	Phones           []string  `json:"phones"`
	Email            string    `json:"email"`
	Address          string    `json:"address"`
	Wilaya           int32     `json:"wilaya"`
	PreferredChannel string    `json:"preferred_channel"`
	Language         string    `json:"language"`
	Erased           bool      `json:"erased"`
	Version          int64     `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func newDebtorView(r store.Debtor) debtorView {
	phones := r.Phones
	if phones == nil {
		phones = []string{}
	}
	return debtorView{
		ID: r.ID, Ref: r.Ref, Status: r.Status, Kind: r.Kind, FullName: r.FullName, NIN: r.Nin, NIF: r.Nif,
		RC: r.Rc, Phones: phones, Email: r.Email, Address: r.Address, Wilaya: r.Wilaya,
		PreferredChannel: r.PreferredChannel, Language: r.Language, Erased: r.Erased, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// debtorRow reads a debtor the request may see.
func (s *Server) debtorRow(c echo.Context, id string) (store.Debtor, error) {
	cred, debt := scopeOf(c).debtorsScope()
	row, err := s.q.DebtorGet(c.Request().Context(), store.DebtorGetParams{ID: id, ScopeCreditor: cred, ScopeDebtor: debt})
	if errors.Is(err, pgx.ErrNoRows) {
		return row, notFound("debtor", id)
	}
	return row, err
}

func (s *Server) debtorExists(ctx context.Context, id string) (bool, error) {
	_, err := s.q.DebtorGet(ctx, store.DebtorGetParams{ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s *Server) renderDebtor(c echo.Context, status int, id string) error {
	row, err := s.debtorRow(c, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(row.Version))
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/debtors/"+id)
	}
	return c.JSON(status, newDebtorView(row))
}

// debtorClaims lists the unique identifiers of a debtor: a NIN names one
// person, a NIF one taxpayer.
func debtorClaims(nin, nif string) map[string]string {
	out := map[string]string{}
	if nin != "" {
		out["nin"] = nin
	}
	if nif != "" {
		out["nif"] = nif
	}
	return out
}
