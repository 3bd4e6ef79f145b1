package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// TestLogHasNoPersonalData reads tahsil.events and tahsil.commands the way
// an operator would, with kcat, after registering, changing and archiving
// people through the API. Every record carries its type, v and
// content-type headers, and no name, phone, e-mail, NIN, NIF, RC or address
// appears in any form: personal data is sealed (DESIGN.md, Law 18-07).
func TestLogHasNoPersonalData(t *testing.T) {
	t.Parallel()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat not found: install kcat (apt-get install kcat): %v", err)
	}
	app, c := start(t, apptest.Options{})

	// Distinctive values, so that a hit cannot be a coincidence.
	type person struct {
		body    obj
		secrets []string // as sent and as stored
	}
	debtors := []person{
		{obj{"kind": "person", "full_name": "Zoubida Tighremt", "nin": "109951234567890123",
			"phones": []string{"0551 98 76 54"}, "email": "zoubida.tighremt@mail-secret.dz",
			"address": "Rue des Oliviers Secrets, Tizi", "wilaya": 15},
			[]string{"Zoubida", "Tighremt", "109951234567890123", "+213551987654", "0551987654", "213551987654",
				"0551 98 76 54", "zoubida.tighremt@mail-secret.dz", "mail-secret", "Oliviers Secrets"}},
		{obj{"kind": "person", "full_name": "عبد الرَّحمن بوزيدي", "nin": "2009 8765 4321 0987 65",
			"phones": []string{"+213 (0)7 71 23 45 67", "0662 33 44 55"}, "email": "a.bouzidi@exemple-prive.dz",
			"address": "حي النخيل السري، ورقلة", "wilaya": 30, "language": "ar"},
			[]string{"عبد الرَّحمن", "عبد الرحمن", "بوزيدي", "200987654321098765", "+213771234567", "0771234567",
				"213771234567", "+213662334455", "0662334455", "213662334455", "a.bouzidi@exemple-prive.dz",
				"exemple-prive", "حي النخيل السري"}},
		{obj{"kind": "company", "full_name": "EURL Zénith Confidentiel", "nif": "000931098765432",
			"rc": "31/00-7654321 B 15", "phones": []string{"0799 00 11 22"}, "wilaya": 31},
			[]string{"Zénith", "Zenith", "Confidentiel", "000931098765432", "7654321 B 15", "+213799001122", "0799001122"}},
	}
	creditors := []person{
		{obj{"name": "مؤسسة الواحة الخفية", "legal_form": "EURL", "nif": "001247891234567", "rc": "47/00-1112223 B 11",
			"wilaya": 47, "address": "طريق الواحة المخفي", "phone": "029 87 65 43", "email": "contact@wahat-khafiya.dz",
			"contact_name": "ياسمينة قدور"},
			[]string{"مؤسسة الواحة الخفية", "الواحة الخفية", "001247891234567", "1112223 B 11", "طريق الواحة المخفي",
				"+21329876543", "029876543", "21329876543", "contact@wahat-khafiya.dz", "wahat-khafiya", "ياسمينة", "قدور"}},
		{obj{"name": "Quincaillerie Mystère Kherrata", "nif": "001906543219876", "wilaya": 6,
			"phone": "0560 10 20 30", "email": "compta@quincaillerie-mystere.dz", "contact_name": "Ouardia Mebarki"},
			[]string{"Mystère", "Mystere", "Kherrata", "001906543219876", "+213560102030", "0560102030", "213560102030",
				"quincaillerie-mystere", "Ouardia", "Mebarki"}},
	}

	var secrets []string
	var debtorIDs, creditorIDs []string
	for _, d := range debtors {
		debtorIDs = append(debtorIDs, c.createDebtor(d.body).ID)
		secrets = append(secrets, d.secrets...)
	}
	for _, cr := range creditors {
		creditorIDs = append(creditorIDs, c.createCreditor(cr.body).ID)
		secrets = append(secrets, cr.secrets...)
	}
	// Updates carry personal data too, and so do their commands.
	want(t, c.patch("/api/v1/debtors/"+debtorIDs[0], obj{"full_name": "Zoubida Tighremt-Amrani",
		"phones": []string{"0551 98 76 54", "0770 55 66 77"}, "email": "z.amrani@cachee.dz"}), http.StatusOK)
	secrets = append(secrets, "Amrani", "+213770556677", "0770556677", "z.amrani@cachee.dz")
	want(t, c.patch("/api/v1/creditors/"+creditorIDs[1], obj{"contact_name": "Lounès Invisible",
		"nif": "001906543219877"}), http.StatusOK)
	secrets = append(secrets, "Lounès", "Invisible", "001906543219877")
	want(t, c.delete("/api/v1/debtors/"+debtorIDs[2]), http.StatusOK)
	// A refused registration (duplicate NIN) never reaches the log.
	wantProblem(t, c.post("/api/v1/debtors", obj{"kind": "person", "full_name": "Faux Doublon",
		"nin": "109951234567890123", "wilaya": 15}), http.StatusConflict, "nin")

	// The agent's account is in the log too (created, MFA enrolled, signed
	// in), with its e-mail and name sealed like everyone's.
	var me struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		FullName string `json:"full_name"`
	}
	r := c.get("/api/v1/me")
	want(t, r, http.StatusOK)
	r.decode(t, &me)
	secrets = append(secrets, me.Email, me.FullName)

	secrets = withEncodings(secrets)

	type check struct {
		topic string
		types map[string]int
		// background are the types of the sign-in facts, which the API
		// submits in the background: they may still be in flight.
		background []string
	}
	for _, ck := range []check{
		{"tahsil.events", map[string]int{"debtor.registered": 3, "creditor.registered": 2, "debtor.updated": 1,
			"creditor.updated": 1, "debtor.archived": 1, "account.created": 1, "account.mfa_enrolled": 1},
			[]string{"account.login_succeeded"}},
		{"tahsil.commands", map[string]int{"debtor.register": 3, "creditor.register": 2, "debtor.update": 1,
			"creditor.update": 1, "debtor.archive": 1, "account.create": 1, "account.enroll_mfa": 1},
			[]string{"account.record_login"}},
	} {
		t.Run(ck.topic, func(t *testing.T) {
			out := runKcat(t, kcat, app.Brokers[0], ck.topic)
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			got := map[string]int{}
			for i, line := range lines {
				hdrs, value, ok := strings.Cut(line, " ")
				if !ok || !strings.HasPrefix(value, "{") {
					t.Errorf("line %d is not headers then a JSON value: %q", i, line)
					continue
				}
				h := parseHeaders(hdrs)
				if h["v"] != "1" || h["content-type"] != "application/json" || h["type"] == "" {
					t.Errorf("line %d headers %q", i, hdrs)
				}
				if !strings.Contains(value, `"type":"`+h["type"]+`"`) {
					t.Errorf("line %d: header type %q not the value's type: %s", i, h["type"], value)
				}
				if !slices.Contains(ck.background, h["type"]) {
					got[h["type"]]++
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(ck.types) {
				t.Errorf("record types %v, want %v", got, ck.types)
			}
			for _, s := range secrets {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("%s holds personal data %q (%+q)", ck.topic, s, s)
				}
			}
			// The records are not empty shells: the ids are there in clear.
			for _, id := range append(append([]string{me.ID}, debtorIDs...), creditorIDs...) {
				if !bytes.Contains(out, []byte(id)) {
					t.Errorf("%s does not mention %s", ck.topic, id)
				}
			}
		})
	}
}

// runKcat consumes a topic from its beginning to its current end, reading
// only committed records, and returns kcat's output: one line per record,
// the headers, a space and the value.
func runKcat(t *testing.T, kcat, broker, topic string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-C", "-b", broker, "-t", topic, "-o", "beginning", "-e", "-q",
		"-X", "isolation.level=read_committed", "-f", `%h %s\n`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat %s: %v\n%s", topic, err, stderr.Bytes())
	}
	if len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("kcat read nothing from %s; stderr: %s", topic, stderr.Bytes())
	}
	return out
}

// parseHeaders reads kcat's %h: n=v pairs separated by commas.
func parseHeaders(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// withEncodings adds, for each secret, its other Unicode normal forms and
// the \u escapes a JSON encoder may write for non-ASCII text (lower- and
// upper-case hex), so that a leak is found however it was encoded.
func withEncodings(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		for _, f := range []string{s, norm.NFC.String(s), norm.NFD.String(s)} {
			add(f)
			var lower, upper strings.Builder
			ascii := true
			for _, r := range f {
				if r < 0x80 {
					lower.WriteRune(r)
					upper.WriteRune(r)
					continue
				}
				ascii = false
				if r > 0xFFFF {
					continue // not in these names
				}
				fmt.Fprintf(&lower, `\u%04x`, r)
				fmt.Fprintf(&upper, `\u%04X`, r)
			}
			if !ascii {
				add(lower.String())
				add(upper.String())
			}
		}
		// "+" is written \u002b by encoders that escape it.
		if strings.HasPrefix(s, "+") {
			add(`\u002b` + s[1:])
		}
	}
	return out
}
