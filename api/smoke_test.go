package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSmokeCreateDebtor(t *testing.T) {
	app := apptest.Start(t, apptest.Options{})
	body := `{"kind":"person","full_name":"محمد بن علي","nin":"109870123456789012","phones":["0550 12 34 56"],"wilaya":9}`
	resp, err := http.Post(app.URL+"/api/v1/debtors", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
