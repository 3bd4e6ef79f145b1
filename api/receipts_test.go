package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestPaymentReceipt prints a payment's receipt and checks it with an
// independent PDF reader (pdftotext), then verifies its code through the
// public check, as someone holding the paper would.
func TestPaymentReceipt(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})
	cr := c.createCreditor(validCreditor())
	d := c.createDebtor(with(validDebtor(), obj{"full_name": "فاطمة الزهراء بوضياف"}))
	r := c.post("/api/v1/debts", obj{"creditor_id": cr.ID, "debtor_id": d.ID, "external_ref": "FAC-77", "type": "commercial",
		"principal": 2000000, "original_due_on": "2026-03-31"})
	want(t, r, http.StatusCreated)
	var debt struct{ ID, Ref string }
	r.decode(t, &debt)
	r = c.post("/api/v1/debts/"+debt.ID+"/payments", obj{"amount": 1250000, "value_date": "2026-04-02", "method": "ccp", "reference": "CCP-0042"})
	want(t, r, http.StatusCreated)
	var pay struct{ ID string }
	r.decode(t, &pay)

	r = c.get("/api/v1/payments/" + pay.ID + "/receipt")
	want(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("Content-Type %q", ct)
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(r.Body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext (apt-get install poppler-utils): %v", err)
	}
	text := string(out)
	code := regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}`).FindString(text)
	for _, want := range []string{pay.ID, debt.Ref, "12 500,00", "7 500,00", "FAC-77"} {
		if !strings.Contains(strings.ReplaceAll(text, "\u00a0", " "), want) {
			t.Errorf("receipt text lacks %q:\n%s", want, text)
		}
	}
	if code == "" {
		t.Fatalf("no verification code in the receipt:\n%s", text)
	}

	visitor := c.as(nil)
	check := func(id, code string) map[string]any {
		t.Helper()
		r := visitor.get("/api/v1/receipts/verify?" + url.Values{"payment_id": {id}, "code": {code}}.Encode())
		want(t, r, http.StatusOK)
		var v map[string]any
		r.decode(t, &v)
		return v
	}
	if v := check(pay.ID, code); v["valid"] != true || v["amount"] != float64(1250000) {
		t.Errorf("genuine receipt: %v", v)
	}
	if v := check(pay.ID, strings.ToLower(code)); v["valid"] != true {
		t.Errorf("code typed in lower case: %v", v)
	}
	tampered := []byte(code)
	tampered[0] ^= 1
	if v := check(pay.ID, string(tampered)); v["valid"] != false || len(v) != 1 {
		t.Errorf("tampered code: %v", v)
	}
	if v := check("not-an-id", code); v["valid"] != false {
		t.Errorf("bad id: %v", v)
	}
	wantProblem(t, visitor.get("/api/v1/receipts/verify"), http.StatusUnprocessableEntity, "payment_id", "code")
	// The receipt itself is private.
	wantProblem(t, visitor.get("/api/v1/payments/"+pay.ID+"/receipt"), http.StatusUnauthorized)
}
