package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/adc-dz/tahsil/collection"
)

// CRUDTable is the baseline's table: shaped like debtors, with its indexes
// (LIKE … INCLUDING ALL), and the NIN made unique by an index, which is how
// a plain CRUD service would enforce what Tahsil's claims enforce.
const CRUDTable = "crud_debtors"

// CreateCRUDTable creates the baseline's table.
func CreateCRUDTable(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, `CREATE TABLE `+CRUDTable+` (LIKE debtors INCLUDING ALL);
CREATE UNIQUE INDEX crud_debtors_nin_unique ON `+CRUDTable+` (nin) WHERE nin <> ''`)
	return err
}

// CRUD is the baseline: a synchronous handler for POST /debtors that
// decodes and validates the body exactly as the API does
// (collection.DebtorInput.Validate), then writes the row with one INSERT,
// its own transaction, and answers 201 with the row. No Kafka, no sealing,
// no read-your-writes wait: only the architecture differs.
type CRUD struct {
	Pool *pgxpool.Pool
}

// crudView is the answer, with the fields of the API's debtor view.
type crudView struct {
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

const crudInsert = `INSERT INTO ` + CRUDTable + ` (id, ref, status, kind, full_name, nin, nif, rc, phones, email, address,
    wilaya, preferred_channel, language, erased, search, version, created_at, updated_at)
VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, false, $14, 1, $15, $15)
RETURNING id, ref, status, kind, full_name, nin, nif, rc, phones, email, address, wilaya, preferred_channel,
    language, erased, version, created_at, updated_at`

// ServeHTTP implements http.Handler.
func (s *CRUD) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/debtors" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		crudProblem(w, http.StatusRequestEntityTooLarge, "the body is too large")
		return
	}
	var in collection.DebtorInput
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || dec.More() {
		crudProblem(w, http.StatusBadRequest, "the body is not a JSON object of the expected shape")
		return
	}
	profile, personal, err := in.Validate()
	if err != nil {
		crudProblem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	id := uuid.Must(uuid.NewV7()).String()
	phones := personal.Phones
	if phones == nil {
		phones = []string{}
	}
	var v crudView
	// A random reference may collide with an existing one (as in the API,
	// which claims another): try again with a new one.
	for attempt := 0; ; attempt++ {
		ref := randomRef()
		parts := []string{ref, personal.FullName, personal.NIN, personal.NIF, personal.RC, personal.Email}
		for _, ph := range personal.Phones {
			parts = append(parts, collection.PhoneSearchForms(ph)...)
		}
		err = s.Pool.QueryRow(r.Context(), crudInsert, id, ref, profile.Kind, personal.FullName, personal.NIN, personal.NIF,
			personal.RC, phones, personal.Email, personal.Address, profile.Wilaya, profile.PreferredChannel,
			profile.Language, collection.SearchText(parts...), time.Now().UTC()).
			Scan(&v.ID, &v.Ref, &v.Status, &v.Kind, &v.FullName, &v.NIN, &v.NIF, &v.RC, &v.Phones, &v.Email, &v.Address,
				&v.Wilaya, &v.PreferredChannel, &v.Language, &v.Erased, &v.Version, &v.CreatedAt, &v.UpdatedAt)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" {
			break
		}
		if !strings.Contains(pe.ConstraintName, "ref") {
			crudProblem(w, http.StatusConflict, "a debtor with this NIN exists")
			return
		}
		if attempt == 7 {
			crudProblem(w, http.StatusInternalServerError, "no free reference after 8 attempts")
			return
		}
	}
	if err != nil {
		crudProblem(w, http.StatusInternalServerError, "internal error")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Location", "/debtors/"+id)
	h.Set("ETag", `"`+strconv.FormatInt(v.Version, 10)+`"`)
	w.WriteHeader(http.StatusCreated)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func crudProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "title": http.StatusText(status), "detail": detail})
}

func randomRef() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	sb.WriteString("D-")
	for _, x := range b {
		sb.WriteByte(refAlphabet[int(x)%len(refAlphabet)])
	}
	return sb.String()
}
