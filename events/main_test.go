package events_test

import (
	"testing"

	"github.com/adc-dz/tahsil/internal/pgtest"
)

// The sealing tests open data keys kept in PostgreSQL.
func TestMain(m *testing.M) { pgtest.Main(m) }
