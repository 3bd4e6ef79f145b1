package api_test

import (
	"testing"

	"github.com/adc-dz/tahsil/internal/pgtest"
)

// TestMain stops the private PostgreSQL server that pgtest starts for the
// package's tests, once they are done.
func TestMain(m *testing.M) { pgtest.Main(m) }
