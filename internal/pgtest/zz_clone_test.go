package pgtest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/adc-dz/tahsil/internal/pgtest"
)

func TestCloneSpeed(t *testing.T) {
	pgtest.URL(t) // start
	admin, err := pgx.Connect(t.Context(), pgtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl string
	admin.QueryRow(t.Context(), "SELECT datname FROM pg_database WHERE datname LIKE 'tahsil_tmpl_%'").Scan(&tmpl)
	for _, strat := range []string{"WAL_LOG", "FILE_COPY", "WAL_LOG", "FILE_COPY"} {
		start := time.Now()
		for i := range 10 {
			if _, err := admin.Exec(t.Context(), fmt.Sprintf("CREATE DATABASE x_%d TEMPLATE %s STRATEGY %s", i, tmpl, strat)); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: %v per clone", strat, time.Since(start)/10)
		for i := range 10 {
			admin.Exec(t.Context(), fmt.Sprintf("DROP DATABASE x_%d", i))
		}
	}
}
