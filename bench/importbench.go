package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/adc-dz/tahsil/internal/signin"
)

// ImportConfig configures the bulk-import scenario.
type ImportConfig struct {
	// Rows of the CSV file (default 100,000), each a new debtor and debt.
	Rows int
}

// importTarget is the target for 100,000 rows.
const importTarget = 60 * time.Second

// RunImport posts a generated CSV file (semicolons, French headers, Arabic
// and Latin names, every row a new debtor) to POST /api/v1/imports/debts
// and times it until GET /api/v1/imports/{id} says done: validation,
// matching, claims, the decider and the projections, end to end.
func RunImport(ctx context.Context, env *Env, cfg ImportConfig) (*Section, error) {
	if cfg.Rows == 0 {
		cfg.Rows = 100_000
	}
	app, err := startScenarioApp(ctx, env, "importbench")
	if err != nil {
		return nil, err
	}
	defer app.Close()
	client := signin.Bearer(&http.Client{Timeout: 10 * time.Minute}, app.Token)

	// A creditor to import for, through the API.
	var cred struct{ ID string }
	if err := postJSON(ctx, client, app.URL+"/api/v1/creditors", map[string]any{
		"name": "Sonelgaz Distribution", "legal_form": "SPA", "nif": "000116001234567", "wilaya": 16,
	}, &cred); err != nil {
		return nil, err
	}
	var file bytes.Buffer
	file.WriteString("référence;montant;frais;date_echeance;nom;nin;telephone;wilaya;type\n")
	for i := 0; i < cfg.Rows; i++ {
		name := latinFirst[i%len(latinFirst)] + " " + latinLast[(i/len(latinFirst))%len(latinLast)]
		if i%2 == 1 {
			name = arabicFirst[i%len(arabicFirst)] + " " + arabicLast[(i/len(arabicFirst))%len(arabicLast)]
		}
		fmt.Fprintf(&file, "FAC-%07d;%d,%02d;150,00;31/03/2026;%s;2%017d;06%08d;%d;facture\n",
			i, 1000+i%90000, i%100, name, i, i%100_000_000, 1+i%58)
	}
	size := file.Len()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("creditor_id", cred.ID)
	fw, _ := mw.CreateFormFile("file", "creances.csv")
	_, _ = io.Copy(fw, &file)
	_ = mw.Close()

	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, app.URL+"/api/v1/imports/debts", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("POST import: %d %s", resp.StatusCode, raw)
	}
	accepted := time.Since(start)
	var imp struct {
		ID, Status                                   string
		Total, Processed, Created, Unchanged, Failed int
		Errors                                       []json.RawMessage
	}
	if err := json.Unmarshal(raw, &imp); err != nil {
		return nil, err
	}
	for imp.Status == "running" || imp.Status == "" {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if err := getJSON(ctx, client, app.URL+"/api/v1/imports/"+imp.ID, &imp); err != nil {
			return nil, err
		}
	}
	took := time.Since(start)
	if imp.Status != "done" || imp.Created != cfg.Rows {
		first := ""
		if len(imp.Errors) > 0 {
			first = string(imp.Errors[0])
		}
		return nil, fmt.Errorf("import ended %s: %d created, %d unchanged, %d failed of %d; first error %s",
			imp.Status, imp.Created, imp.Unchanged, imp.Failed, cfg.Rows, first)
	}
	env.Say("import: done", "rows", cfg.Rows, "took", took.Round(time.Millisecond))
	sec := &Section{
		Title: "Bulk import of debts (CSV)",
		Lead: fmt.Sprintf("%d rows (%.1f MiB, semicolons, French headers, Arabic and Latin names), each a new debtor and a new debt, posted to POST /api/v1/imports/debts and polled until done; the answer 202 came after %s (upload, read and validation).",
			cfg.Rows, float64(size)/(1<<20), accepted.Round(time.Millisecond)),
		Tables: []Table{{Title: "result", Header: []string{"rows", "created", "time", "rows/s", "commands/s"},
			Rows: [][]string{{fmt.Sprint(cfg.Rows), fmt.Sprint(imp.Created), took.Round(100 * time.Millisecond).String(),
				fmt.Sprintf("%.0f", float64(cfg.Rows)/took.Seconds()), fmt.Sprintf("%.0f", 2*float64(cfg.Rows)/took.Seconds())}}}},
	}
	scaled := time.Duration(float64(took) * 100_000 / float64(cfg.Rows))
	sec.Checks = append(sec.Checks, Check{
		Target:   fmt.Sprintf("100,000 rows in under %v", importTarget),
		Measured: fmt.Sprintf("%d rows in %s (%s for 100,000 at this rate)", cfg.Rows, took.Round(100*time.Millisecond), scaled.Round(time.Second)),
		Pass:     scaled < importTarget,
	})
	return sec, nil
}

func postJSON(ctx context.Context, client *http.Client, url string, body, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}

func getJSON(ctx context.Context, client *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, out)
}
