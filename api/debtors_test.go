package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/adc-dz/tahsil/internal/apptest"
)

func TestDebtors(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})

	var first debtor
	t.Run("create person", func(t *testing.T) {
		c := c.on(t)
		nin := uniqueNIN()
		r := c.post("/api/v1/debtors", obj{
			"kind": " Person ", "full_name": "  مُحَمَّد   بن عَلِي ", "nin": nin[:6] + " " + nin[6:],
			"phones": []string{"0550 12 34 56", "+213 (0) 661-11-22-33", "٠٧٧٠١٢٣٤٥٦"}, "email": "M.Benali@GMAIL.COM",
			"address": "12 rue Didouche Mourad\nAlger", "wilaya": 16,
		})
		want(t, r, http.StatusCreated)
		r.decode(t, &first)
		if got := r.Header.Get("Location"); got != "/api/v1/debtors/"+first.ID {
			t.Errorf("Location %q", got)
		}
		if got := r.Header.Get("ETag"); got != `"1"` {
			t.Errorf("ETag %q", got)
		}
		if !uuidPattern.MatchString(first.ID) || !refPattern.MatchString(first.Ref) || !strings.HasPrefix(first.Ref, "D-") {
			t.Errorf("id %q ref %q", first.ID, first.Ref)
		}
		wantDebtor := debtor{
			ID: first.ID, Ref: first.Ref, Status: "active", Kind: "person", FullName: norm.NFC.String("مُحَمَّد بن عَلِي"), NIN: nin,
			Phones: []string{"+213550123456", "+213661112233", "+213770123456"}, Email: "M.Benali@gmail.com",
			Address: "12 rue Didouche Mourad Alger", Wilaya: 16, PreferredChannel: "sms", Language: "ar",
			Version: 1, CreatedAt: first.CreatedAt, UpdatedAt: first.UpdatedAt,
		}
		if fmt.Sprintf("%+v", first) != fmt.Sprintf("%+v", wantDebtor) {
			t.Errorf("created\n got %+v\nwant %+v", first, wantDebtor)
		}
		var members map[string]any
		r.decode(t, &members)
		for _, f := range []string{"id", "ref", "status", "kind", "full_name", "nin", "nif", "rc", "phones", "email",
			"address", "wilaya", "preferred_channel", "language", "version", "created_at", "updated_at"} {
			if _, ok := members[f]; !ok {
				t.Errorf("body has no %q", f)
			}
		}
	})
	if first.ID == "" {
		t.Fatal("no debtor to work on")
	}
	path := "/api/v1/debtors/" + first.ID

	t.Run("create defaults and kinds", func(t *testing.T) {
		c := c.on(t)
		cases := []struct {
			name             string
			body             obj
			channel, lang    string
			kind, nif, rc    string
			phones           int
			wantEmailChannel bool
		}{
			{"email only defaults to email", obj{"kind": "person", "full_name": "Nadia Saïdi", "email": "nadia@example.dz", "wilaya": 9},
				"email", "ar", "person", "", "", 0, true},
			{"nothing defaults to none", obj{"kind": "person", "full_name": "Yacine Brahimi", "wilaya": 31, "language": "EN"},
				"none", "en", "person", "", "", 0, false},
			{"explicit none with a phone", obj{"kind": "person", "full_name": "Lina Ould Ali", "phones": []string{uniqueMobile()},
				"preferred_channel": "none", "wilaya": 31}, "none", "ar", "person", "", "", 1, false},
			{"company with nif and rc", obj{"kind": "company", "full_name": "SARL El Baraka (Import/Export) & Cie",
				"nif": "000216001234567 00012", "rc": " 16/00-0987654  B 12 ", "wilaya": 16, "language": "fr"},
				"none", "fr", "company", "00021600123456700012", "16/00-0987654 B 12", 0, false},
			{"person with nif", obj{"kind": "person", "full_name": "Dr. Samir Meziane", "nif": uniqueNIF(), "wilaya": 15},
				"none", "ar", "person", "", "", 0, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				d := c.createDebtor(tc.body)
				if d.PreferredChannel != tc.channel || d.Language != tc.lang || d.Kind != tc.kind || len(d.Phones) != tc.phones {
					t.Errorf("got %+v", d)
				}
				if tc.nif != "" && d.NIF != tc.nif || tc.rc != "" && d.RC != tc.rc {
					t.Errorf("nif %q rc %q", d.NIF, d.RC)
				}
				if d.Phones == nil {
					t.Error("phones is null, want []")
				}
			})
		}
	})

	t.Run("get", func(t *testing.T) {
		c := c.on(t)
		r := c.get(path)
		want(t, r, http.StatusOK)
		var got debtor
		r.decode(t, &got)
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", first) || r.Header.Get("ETag") != `"1"` {
			t.Errorf("GET %+v, ETag %s", got, r.Header.Get("ETag"))
		}
		wantProblem(t, c.get("/api/v1/debtors/"+uuid.Must(uuid.NewV7()).String()), http.StatusNotFound)
		for _, bad := range []string{"x", "0", first.Ref, strings.ReplaceAll(first.ID, "-", "")} {
			wantProblem(t, c.get("/api/v1/debtors/"+url.PathEscape(bad)), http.StatusNotFound)
		}
		wantProblem(t, c.get("/api/v1/creditors/"+first.ID), http.StatusNotFound)
	})

	t.Run("invalid input", func(t *testing.T) {
		c := c.on(t)
		company := obj{"kind": "company", "full_name": "EURL Tassili Services", "nif": uniqueNIF(), "wilaya": 33}
		cases := []struct {
			name   string
			body   any
			fields []string
		}{
			{"empty object", obj{}, []string{"kind", "full_name", "wilaya"}},
			{"missing kind", with(validDebtor(), obj{"kind": nil}), []string{"kind"}},
			{"unknown kind", with(validDebtor(), obj{"kind": "robot"}), []string{"kind"}},
			{"missing full name", with(validDebtor(), obj{"full_name": nil}), []string{"full_name"}},
			{"person name with digits", with(validDebtor(), obj{"full_name": "Amine 2"}), []string{"full_name"}},
			{"one-letter name", with(validDebtor(), obj{"full_name": "A"}), []string{"full_name"}},
			{"name with zero-width joiner", with(validDebtor(), obj{"full_name": "Amine\u200dKhelifi"}), []string{"full_name"}},
			{"zalgo name", with(validDebtor(), obj{"full_name": "م" + strings.Repeat("\u0651", 4) + "حمد"}), []string{"full_name"}},
			{"nin 17 digits", with(validDebtor(), obj{"nin": "10987012345678901"}), []string{"nin"}},
			{"nin 19 digits", with(validDebtor(), obj{"nin": "1098701234567890123"}), []string{"nin"}},
			{"nin with letters", with(validDebtor(), obj{"nin": "10987012345678901X"}), []string{"nin"}},
			{"nin placeholder", with(validDebtor(), obj{"nin": "000000000000000000"}), []string{"nin"}},
			{"nin as number", with(validDebtor(), obj{"nin": 109870123456789012}), []string{"nin"}},
			{"bad nif", with(validDebtor(), obj{"nif": "1234"}), []string{"nif"}},
			{"landline phone", with(validDebtor(), obj{"phones": []string{"021 12 34 56"}}), []string{"phones[0]"}},
			{"second phone bad", with(validDebtor(), obj{"phones": []string{uniqueMobile(), "0812345678"}}), []string{"phones[1]"}},
			{"same phone twice", with(validDebtor(), obj{"phones": []string{"0550123456", "+213550123456"}}), []string{"phones[1]"}},
			{"empty phone", with(validDebtor(), obj{"phones": []string{""}}), []string{"phones[0]"}},
			{"six phones", with(validDebtor(), obj{"phones": []string{"0550000001", "0550000002", "0550000003",
				"0550000004", "0550000005", "0550000006"}}), []string{"phones"}},
			{"phones as string", with(validDebtor(), obj{"phones": "0550123456"}), []string{"phones"}},
			{"person with rc", with(validDebtor(), obj{"rc": "16/00-0123456 B 19"}), []string{"rc"}},
			{"company with nin", with(company, obj{"nin": uniqueNIN()}), []string{"nin"}},
			{"sms without phones", with(validDebtor(), obj{"phones": []string{}, "preferred_channel": "sms"}), []string{"preferred_channel"}},
			{"email channel without email", with(validDebtor(), obj{"email": nil, "preferred_channel": "email"}), []string{"preferred_channel"}},
			{"unknown channel", with(validDebtor(), obj{"preferred_channel": "fax"}), []string{"preferred_channel"}},
			{"unknown language", with(validDebtor(), obj{"language": "de"}), []string{"language"}},
			{"bad email", with(validDebtor(), obj{"email": "amine@"}), []string{"email"}},
			{"non-ASCII email", with(validDebtor(), obj{"email": "amine@بريد.dz"}), []string{"email"}},
			{"wilaya 0", with(validDebtor(), obj{"wilaya": 0}), []string{"wilaya"}},
			{"wilaya 70", with(validDebtor(), obj{"wilaya": 70}), []string{"wilaya"}},
			{"wilaya as string", with(validDebtor(), obj{"wilaya": "16"}), []string{"wilaya"}},
			{"address too long", with(validDebtor(), obj{"address": strings.Repeat("ب", 501)}), []string{"address"}},
			{"unknown field", with(validDebtor(), obj{"birth_date": "1990-01-01"}), []string{"birth_date"}},
			{"system field", with(validDebtor(), obj{"id": uuid.NewString()}), []string{"id"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantProblem(t, c.post("/api/v1/debtors", tc.body), http.StatusUnprocessableEntity, tc.fields...)
			})
		}
		// Boundary values are accepted.
		d := c.createDebtor(with(validDebtor(), obj{"wilaya": 69, "full_name": "Lyes Aït Ahmed"}))
		if d.Wilaya != 69 {
			t.Errorf("wilaya %d", d.Wilaya)
		}
	})

	t.Run("duplicates", func(t *testing.T) {
		c := c.on(t)
		spaced := first.NIN[:4] + " " + first.NIN[4:10] + " " + first.NIN[10:]
		for _, nin := range []string{first.NIN, spaced} {
			p := wantProblem(t, c.post("/api/v1/debtors", with(validDebtor(), obj{"full_name": "Autre Personne", "nin": nin})),
				http.StatusConflict, "nin")
			if p.ExistingID != first.ID {
				t.Errorf("existing_id %q, want %s", p.ExistingID, first.ID)
			}
		}
		nif := uniqueNIF()
		co := c.createDebtor(obj{"kind": "company", "full_name": "SPA Numidia", "nif": nif, "wilaya": 25})
		p := wantProblem(t, c.post("/api/v1/debtors", obj{"kind": "company", "full_name": "SPA Numidia bis", "nif": nif, "wilaya": 25}),
			http.StatusConflict, "nif")
		if p.ExistingID != co.ID {
			t.Errorf("existing_id %q, want %s", p.ExistingID, co.ID)
		}
		// The same NIF may belong to a creditor and a debtor: they are
		// different registers.
		c.createCreditor(with(validCreditor(), obj{"nif": nif}))
		// Phones are not unique: a family shares a number.
		c.createDebtor(with(validDebtor(), obj{"phones": []string{"0550123456"}}))
	})

	// Fixtures for search.
	cherif := c.createDebtor(with(validDebtor(), obj{"full_name": "Chérif Belkacem", "phones": []string{"0698 76 54 32"}, "wilaya": 19}))
	fatima := c.createDebtor(with(validDebtor(), obj{"full_name": "فاطمة الزهراء بوعلام", "phones": []string{}, "email": "", "wilaya": 19}))
	amine := c.createDebtor(with(validDebtor(), obj{"full_name": "مُحَمَّد الأَمِين قاسمي", "wilaya": 5}))
	bakery := c.createDebtor(obj{"kind": "company", "full_name": "Boulangerie de Sétif", "nif": uniqueNIF(), "wilaya": 19})

	t.Run("search", func(t *testing.T) {
		c := c.on(t)
		cases := []struct {
			q    string
			want []string
		}{
			{"cherif", []string{cherif.ID}},
			{"CHERIF BELKACEM", []string{cherif.ID}},
			{"Chérif", []string{cherif.ID}},
			{"setif", []string{bakery.ID}},
			{"Sétif", []string{bakery.ID}},
			{"فاطمة", []string{fatima.ID}},
			{"فَاطِمَة الزَّهْرَاء", []string{fatima.ID}}, // tashkeel in the query
			{"فاطمه", []string{fatima.ID}},                // ta marbuta written as ha
			{"محمد الامين", []string{amine.ID}},           // no tashkeel, no hamza
			{"مُحَمَّد", []string{amine.ID, first.ID}},    // newest first
			{"مُحَمَّد الأمين", []string{amine.ID}},
			{"قاسمي", []string{amine.ID}},
			{cherif.Ref, []string{cherif.ID}},
			{strings.ToLower(cherif.Ref), []string{cherif.ID}},
			{"0698765432", []string{cherif.ID}},
			{"0698 76 54 32", []string{cherif.ID}},
			{"+213698765432", []string{cherif.ID}},
			{"٠٦٩٨٧٦٥٤٣٢", []string{cherif.ID}},
			{amine.NIN, []string{amine.ID}},
			{bakery.NIF, []string{bakery.ID}},
			{"personne-inconnue", nil},
		}
		for _, tc := range cases {
			t.Run(tc.q, func(t *testing.T) {
				got := listAll(t, c, "/api/v1/debtors?q="+url.QueryEscape(tc.q), 50, func(x debtor) string { return x.ID })
				if !slices.Equal(got, tc.want) {
					t.Errorf("q=%q found %v, want %v", tc.q, got, tc.want)
				}
			})
		}
		// "0550123456" is the first debtor's and another's phone.
		got := listAll(t, c, "/api/v1/debtors?q=0550123456", 50, func(x debtor) string { return x.ID })
		if len(got) != 2 || !slices.Contains(got, first.ID) {
			t.Errorf("q=0550123456 found %v", got)
		}
	})

	t.Run("filters", func(t *testing.T) {
		c := c.on(t)
		got := listAll(t, c, "/api/v1/debtors?wilaya=19", 50, func(x debtor) string { return x.ID })
		sort.Strings(got)
		wantIDs := []string{cherif.ID, fatima.ID, bakery.ID}
		sort.Strings(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("wilaya=19: %v, want %v", got, wantIDs)
		}
		got = listAll(t, c, "/api/v1/debtors?wilaya=19&q=setif", 50, func(x debtor) string { return x.ID })
		if !slices.Equal(got, []string{bakery.ID}) {
			t.Errorf("wilaya=19&q=setif: %v", got)
		}
		got = listAll(t, c, "/api/v1/debtors?status=active&wilaya=5", 50, func(x debtor) string { return x.ID })
		if !slices.Equal(got, []string{amine.ID}) {
			t.Errorf("status=active&wilaya=5: %v", got)
		}
	})

	t.Run("bad list parameters", func(t *testing.T) {
		badListParams(t, c.on(t), "/api/v1/debtors")
	})

	t.Run("patch", func(t *testing.T) {
		c := c.on(t)
		r := c.patch(path, obj{"language": "FR", "address": "  Hydra,   Alger "}, ifMatch(`"1"`))
		want(t, r, http.StatusOK)
		var got debtor
		r.decode(t, &got)
		if got.Language != "fr" || got.Address != "Hydra, Alger" || got.Version != 2 || r.Header.Get("ETag") != `"2"` {
			t.Errorf("after patch: %+v ETag %s", got, r.Header.Get("ETag"))
		}
		r = c.patch(path, obj{"phones": []string{"0770 99 88 77"}})
		want(t, r, http.StatusOK)
		r.decode(t, &got)
		if !slices.Equal(got.Phones, []string{"+213770998877"}) || got.Version != 3 {
			t.Errorf("after phones patch: %+v", got)
		}
		wantProblem(t, c.patch(path, obj{"language": "en"}, ifMatch(`"2"`)), http.StatusPreconditionFailed, "If-Match")
		wantProblem(t, c.patch(path, obj{"language": "en"}, ifMatch(`three`)), http.StatusBadRequest, "If-Match")

		other := c.createDebtor(validDebtor())
		cases := []struct {
			name   string
			body   any
			status int
			fields []string
		}{
			{"kind is not patchable", obj{"kind": "company"}, 422, []string{"kind"}},
			{"unknown field", obj{"nickname": "x"}, 422, []string{"nickname"}},
			{"empty patch", obj{}, 422, nil},
			{"clear last phone of an sms debtor", obj{"phones": []string{}}, 422, []string{"preferred_channel"}},
			{"sms with phones cleared", obj{"phones": []string{}, "preferred_channel": "sms"}, 422, []string{"preferred_channel"}},
			{"clear full name", obj{"full_name": ""}, 422, []string{"full_name"}},
			{"landline", obj{"phones": []string{"023 45 67 89"}}, 422, []string{"phones[0]"}},
			{"rc on a person", obj{"rc": "16/00-1 B 19"}, 422, []string{"rc"}},
			{"bad nin", obj{"nin": "123"}, 422, []string{"nin"}},
			{"wilaya 70", obj{"wilaya": 70}, 422, []string{"wilaya"}},
			{"unknown language", obj{"language": "kab"}, 422, []string{"language"}},
			{"nin of another debtor", obj{"nin": other.NIN}, 409, []string{"nin"}},
			{"two JSON values", `{"language":"en"}{"language":"ar"}`, 400, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := wantProblem(t, c.patch(path, tc.body), tc.status, tc.fields...)
				if tc.status == 409 && p.ExistingID != other.ID {
					t.Errorf("existing_id %q, want %s", p.ExistingID, other.ID)
				}
			})
		}
		if r := c.get(path); r.Header.Get("ETag") != `"3"` {
			t.Errorf("refused patches changed the debtor: %s", r.Body)
		}
		// Clearing the phones is fine once the channel no longer needs them,
		// and then e-mail needs the address.
		r = c.patch(path, obj{"phones": []string{}, "preferred_channel": "email"})
		want(t, r, http.StatusOK)
		r.decode(t, &got)
		if len(got.Phones) != 0 || got.PreferredChannel != "email" || got.Version != 4 {
			t.Errorf("after clearing phones: %+v", got)
		}
		wantProblem(t, c.patch(path, obj{"email": ""}), http.StatusUnprocessableEntity, "preferred_channel")
		wantProblem(t, c.patch(path, obj{"preferred_channel": "sms"}), http.StatusUnprocessableEntity, "preferred_channel")

		// A company debtor has no NIN, even by patch.
		co := c.createDebtor(obj{"kind": "company", "full_name": "SNC Frères Hamdi", "wilaya": 2})
		wantProblem(t, c.patch("/api/v1/debtors/"+co.ID, obj{"nin": uniqueNIN()}), http.StatusUnprocessableEntity, "nin")
		want(t, c.patch("/api/v1/debtors/"+co.ID, obj{"rc": "02/00-1234567 B 20"}), http.StatusOK)

		// A changed NIN frees the old one.
		old := first.NIN
		want(t, c.patch(path, obj{"nin": uniqueNIN()}, ifMatch(`"4"`)), http.StatusOK)
		c.createDebtor(with(validDebtor(), obj{"nin": old}))

		wantProblem(t, c.patch("/api/v1/debtors/"+uuid.Must(uuid.NewV7()).String(), obj{"language": "en"}), http.StatusNotFound)
	})

	t.Run("archive", func(t *testing.T) {
		c := c.on(t)
		wantProblem(t, c.delete(path, ifMatch(`"4"`)), http.StatusPreconditionFailed, "If-Match")
		r := c.delete(path, ifMatch(`"5"`))
		want(t, r, http.StatusOK)
		var got debtor
		r.decode(t, &got)
		if got.Status != "archived" || got.Version != 6 || r.Header.Get("ETag") != `"6"` {
			t.Errorf("archived: %+v ETag %s", got, r.Header.Get("ETag"))
		}
		p := wantProblem(t, c.delete(path), http.StatusConflict)
		if !strings.HasSuffix(p.Type, "/archived") {
			t.Errorf("type %q", p.Type)
		}
		wantProblem(t, c.patch(path, obj{"language": "en"}), http.StatusConflict)
		wantProblem(t, c.patch(path, obj{"language": "en"}, ifMatch(`"6"`)), http.StatusConflict)
		r = c.get(path)
		want(t, r, http.StatusOK)
		r.decode(t, &got)
		if got.Status != "archived" || got.FullName != first.FullName {
			t.Errorf("GET archived: %+v", got)
		}
		if ids := listAll(t, c, "/api/v1/debtors?status=archived", 50, func(x debtor) string { return x.ID }); !slices.Equal(ids, []string{first.ID}) {
			t.Errorf("status=archived: %v", ids)
		}
		wantProblem(t, c.delete("/api/v1/debtors/"+uuid.Must(uuid.NewV7()).String()), http.StatusNotFound)
	})

	t.Run("history", func(t *testing.T) {
		c := c.on(t)
		h := c.history(path)
		wantTypes := []string{"debtor.registered", "debtor.updated", "debtor.updated", "debtor.updated",
			"debtor.updated", "debtor.archived"}
		if got := historyTypes(h); !slices.Equal(got, wantTypes) {
			t.Fatalf("history %v, want %v", got, wantTypes)
		}
		for i, e := range h {
			if e.Version != int64(i+1) {
				t.Errorf("event %d has version %d", i, e.Version)
			}
			if e.Actor["ip"] != "127.0.0.1" {
				t.Errorf("event %d actor %v", i, e.Actor)
			}
		}
		reg := h[0].Personal
		if reg["full_name"] != first.FullName || reg["nin"] != first.NIN || reg["email"] != first.Email {
			t.Errorf("registered personal part %v", reg)
		}
		if phones, _ := reg["phones"].([]any); len(phones) != 3 || phones[0] != "+213550123456" {
			t.Errorf("registered phones %v", reg["phones"])
		}
		for _, clear := range []string{first.FullName, first.NIN, "+213550123456", first.Email} {
			if strings.Contains(string(h[0].Data), clear) {
				t.Errorf("%q in clear in the event's data: %s", clear, h[0].Data)
			}
		}
		if h[1].Personal["address"] != "Hydra, Alger" || !strings.Contains(string(h[1].Data), `"fr"`) {
			t.Errorf("first update: personal %v data %s", h[1].Personal, h[1].Data)
		}
		wantProblem(t, c.get("/api/v1/debtors/"+uuid.Must(uuid.NewV7()).String()+"/history"), http.StatusNotFound)
		wantProblem(t, c.get("/api/v1/debtors/x/history"), http.StatusNotFound)
	})
}

// TestDebtorPaging lists more debtors than a default page holds, created
// concurrently so that several may share a created_at.
func TestDebtorPaging(t *testing.T) {
	t.Parallel()
	_, c := start(t, apptest.Options{})
	const n = 57
	var (
		mu  sync.Mutex
		ids = map[string]bool{}
		wg  sync.WaitGroup
		sem = make(chan struct{}, 8)
	)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := c.post("/api/v1/debtors", with(validDebtor(), obj{"full_name": fmt.Sprintf("Débiteur %c%c", 'A'+i/26, 'A'+i%26)}))
			if r.Status != http.StatusCreated {
				t.Errorf("create %d: %s", i, r)
				return
			}
			var d debtor
			r.decode(t, &d)
			mu.Lock()
			ids[d.ID] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(ids) != n {
		t.Fatalf("%d debtors created, want %d", len(ids), n)
	}

	r := c.get("/api/v1/debtors")
	want(t, r, http.StatusOK)
	var p page[debtor]
	r.decode(t, &p)
	if len(p.Items) != 50 || p.NextCursor == "" {
		t.Fatalf("default page: %d items, cursor %q", len(p.Items), p.NextCursor)
	}
	r = c.get("/api/v1/debtors?cursor=" + url.QueryEscape(p.NextCursor))
	want(t, r, http.StatusOK)
	var p2 page[debtor]
	r.decode(t, &p2)
	if len(p2.Items) != n-50 || p2.NextCursor != "" {
		t.Errorf("second default page: %d items, cursor %q", len(p2.Items), p2.NextCursor)
	}

	all := listAll(t, c, "/api/v1/debtors", 200, func(x debtor) string { return x.ID })
	for _, limit := range []int{1, 7, 50, 56, 57} {
		got := listAll(t, c, "/api/v1/debtors", limit, func(x debtor) string { return x.ID })
		if !slices.Equal(got, all) {
			t.Errorf("limit=%d: pages differ from the whole list", limit)
		}
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] || !ids[id] {
			t.Errorf("%s listed twice or unknown", id)
		}
		seen[id] = true
	}
	if len(all) != n {
		t.Errorf("%d listed, want %d", len(all), n)
	}
	// Newest first.
	r = c.get("/api/v1/debtors?limit=200")
	var everything page[debtor]
	r.decode(t, &everything)
	for i := 1; i < len(everything.Items); i++ {
		a, b := everything.Items[i-1], everything.Items[i]
		if a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID {
			t.Errorf("items %d and %d out of order", i-1, i)
		}
	}
}
