package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/internal/apptest"
	"github.com/adc-dz/tahsil/internal/pgtest"
)

// TestMain stops the private PostgreSQL server that pgtest starts for the
// tests that use it, once they are done.
func TestMain(m *testing.M) { pgtest.Main(m) }

// TestImportDebtsCommand runs `tahsil import debts` in process against a
// running test application (its broker, database and master key, as the
// command does beside a server): the file is imported, a second run
// creates nothing, a dry run writes nothing, a row with an error is
// reported and makes the command fail, and the API shows the debts.
func TestImportDebtsCommand(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t, apptest.Options{})
	agent := app.NewStaff(t, "agent")
	api := func(method, path, body string) map[string]any {
		t.Helper()
		req, err := http.NewRequest(method, app.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+agent.Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	creditor := api(http.MethodPost, "/api/v1/creditors",
		`{"name":"Sonelgaz Distribution","legal_form":"SPA","nif":"000216001234599","wilaya":16}`)["id"].(string)

	cfg := config{
		DataDir: t.TempDir(), DatabaseURL: app.Pool.Config().ConnString(), KafkaBrokers: app.Brokers,
		MasterKey: base64.StdEncoding.EncodeToString(app.MasterKey), Partitions: 3, InstanceID: "import-test",
		Components: map[string]bool{},
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		var stdout, stderr bytes.Buffer
		err := importDebts(ctx, cfg, apptest.Logger(), args, &stdout, &stderr)
		return stdout.String(), err
	}
	debts := func() int {
		t.Helper()
		items, _ := api(http.MethodGet, "/api/v1/debts?limit=200&creditor_id="+creditor, "")["items"].([]any)
		return len(items)
	}

	good := write("factures.csv", "Référence;Montant;Date d'échéance;Nom complet;NIN;Téléphone;Wilaya\n"+
		"CLI-1;12 500,00;31/03/2026;عبد القادر سعيدي;109870123456780001;;16\n"+
		"CLI-2;3 000;31/03/2026;عبد القادر سعيدي;109870123456780001;;16\n"+
		"CLI-3;7 000 DA;15/04/2026;Leila Benkhaled;;0661 11 22 33;Oran\n")

	out, err := run("--creditor", creditor, "--dry-run", good)
	if err != nil || !strings.Contains(out, "3 rows: 3 to create, 0 unchanged, 0 failed") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if n := debts(); n != 0 {
		t.Fatalf("%d debts after a dry run", n)
	}
	out, err = run("--creditor", creditor, good)
	if err != nil || !strings.Contains(out, "(done): 3 rows: 3 created, 0 unchanged, 0 failed") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if n := debts(); n != 3 {
		t.Fatalf("%d debts after the import, want 3", n)
	}
	// The file after the flags, or before them: the same command.
	out, err = run(good, "--creditor", creditor)
	if err != nil || !strings.Contains(out, "3 rows: 0 created, 3 unchanged, 0 failed") {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	if n := debts(); n != 3 {
		t.Fatalf("%d debts after a second import, want 3", n)
	}
	// The import is recorded: the API shows it.
	id := strings.Fields(strings.TrimPrefix(out, "import "))[0]
	if rec := api(http.MethodGet, "/api/v1/imports/"+id, ""); rec["status"] != "done" || rec["unchanged"] != float64(3) || rec["file_name"] != "factures.csv" {
		t.Fatalf("import record: %v", rec)
	}

	bad := write("erreurs.csv", "Référence;Montant;Date d'échéance;Nom complet;NIN;Wilaya\n"+
		"CLI-4;1 000;01/05/2026;Amina Haddad;109870123456780002;16\n"+
		"CLI-5;-1 000;01/05/2026;Amina Haddad;109870123456780003;16\n")
	out, err = run("--creditor", creditor, bad)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 rows were not imported") ||
		!strings.Contains(out, "1 created, 0 unchanged, 1 failed") || !strings.Contains(out, "line 3, column 2 (principal): cannot be negative") {
		t.Fatalf("import with an error: %v\n%s", err, out)
	}
	if n := debts(); n != 4 {
		t.Fatalf("%d debts after a file with an error, want 4", n)
	}

	// What cannot be imported at all, said in the operator's terms.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{good}, "--creditor: the creditor's id is required"},
		{[]string{"--creditor", creditor}, "give exactly one file"},
		{[]string{"--creditor", "0190a000-0000-7000-8000-000000000000", good}, "--creditor: no creditor with id"},
		{[]string{"--creditor", creditor, write("x.csv", "Référence;Couleur\nA;bleu\n")}, `line 1, column 2: unknown column "Couleur"`},
		{[]string{"--creditor", creditor, write("x.xlsx", "PK\x03\x04\x14\x00\x06\x00")}, `save it as "CSV UTF-8"`},
	} {
		if _, err := run(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("import debts %s: %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
