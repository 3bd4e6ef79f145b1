package collection_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/adc-dz/tahsil/collection"
)

func ptr[T any](v T) *T { return &v }

// fieldErrors returns the field errors of an input validator's error.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	r, ok := collection.AsRejection(err)
	if !ok {
		t.Fatalf("error %v is not a *Rejection", err)
	}
	if r.Code != collection.CodeInvalid {
		t.Fatalf("rejection code %q, want %q", r.Code, collection.CodeInvalid)
	}
	out := map[string]string{}
	for _, fe := range r.Errors {
		if _, dup := out[fe.Field]; dup {
			t.Errorf("field %q reported twice", fe.Field)
		}
		out[fe.Field] = fe.Reason
	}
	return out
}

// wantFields checks that exactly the fields in want are reported, each
// with a reason containing the given fragment.
func wantFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	got := fieldErrors(t, err)
	for f, frag := range want {
		reason, ok := got[f]
		if !ok {
			t.Errorf("field %q not reported; got %v", f, got)
			continue
		}
		if !strings.Contains(reason, frag) {
			t.Errorf("field %q: reason %q does not contain %q", f, reason, frag)
		}
	}
	for f, reason := range got {
		if _, ok := want[f]; !ok {
			t.Errorf("unexpected problem %q: %s", f, reason)
		}
	}
}

func validCreditor() collection.CreditorInput {
	return collection.CreditorInput{
		Name:          "SARL El Baraka",
		LegalForm:     "sarl",
		NIF:           "0001 1600 1234 567",
		RC:            " 16/00-0123456  B 19 ",
		Sector:        "  Distribution   alimentaire ",
		Wilaya:        16,
		Address:       "12, rue Didouche Mourad\nAlger-Centre",
		Phone:         "021 12 34 56",
		Email:         "Compta@El-Baraka.DZ",
		ContactName:   "Mohamed  Benali",
		CommissionBPS: 1500,
	}
}

func TestCreditorInputValid(t *testing.T) {
	t.Parallel()
	p, pp, err := validCreditor().Validate()
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	wantP := collection.CreditorProfile{LegalForm: "SARL", Sector: "Distribution alimentaire", Wilaya: 16, CommissionBPS: 1500}
	wantPP := collection.CreditorPersonal{
		Name: "SARL El Baraka", NIF: "000116001234567", RC: "16/00-0123456 B 19",
		Address: "12, rue Didouche Mourad Alger-Centre", Phone: "+21321123456",
		Email: "Compta@el-baraka.dz", ContactName: "Mohamed Benali",
	}
	if p != wantP {
		t.Errorf("profile = %+v, want %+v", p, wantP)
	}
	if pp != wantPP {
		t.Errorf("personal = %+v, want %+v", pp, wantPP)
	}
	if err := collection.ValidateCreditorProfile(p); err != nil {
		t.Errorf("the decider refuses the validated profile: %v", err)
	}

	minimal := collection.CreditorInput{Name: "Benali Mohamed", NIF: "000116001234567", Wilaya: 69}
	p, pp, err = minimal.Validate()
	if err != nil {
		t.Fatalf("minimal: %v", err)
	}
	if p != (collection.CreditorProfile{Wilaya: 69}) || pp != (collection.CreditorPersonal{Name: "Benali Mohamed", NIF: "000116001234567"}) {
		t.Errorf("minimal: %+v %+v", p, pp)
	}
}

func TestCreditorInputInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*collection.CreditorInput)
		want   map[string]string
	}{
		{"empty", func(in *collection.CreditorInput) { *in = collection.CreditorInput{} },
			map[string]string{"name": "required", "nif": "required", "wilaya": "required"}},
		{"everything wrong", func(in *collection.CreditorInput) {
			*in = collection.CreditorInput{
				Name: "<b>", LegalForm: "LLC", NIF: "123", RC: strings.Repeat("R", 41),
				Sector: strings.Repeat("s", 101), Wilaya: 70, Address: strings.Repeat("a", 501),
				Phone: "+33 1 23 45 67 89", Email: "Ali <ali@example.dz>", ContactName: "007",
				CommissionBPS: 10001,
			}
		}, map[string]string{
			"name": "may contain only", "legal_form": "must be one of", "nif": "15 digits",
			"rc": "at most 40", "sector": "at most 100", "wilaya": "1 to 69", "address": "at most 500",
			"phone": "only Algerian", "email": "display name", "contact_name": "may contain only",
			"commission_bps": "between 0 and 10000",
		}},
		{"negative commission", func(in *collection.CreditorInput) { in.CommissionBPS = -1 },
			map[string]string{"commission_bps": "between"}},
		{"rc with control char", func(in *collection.CreditorInput) { in.RC = "16/00\x00-1" },
			map[string]string{"rc": "control"}},
		{"address with bidi override", func(in *collection.CreditorInput) { in.Address = "rue \u202e12" },
			map[string]string{"address": "invisible"}},
		{"blank name", func(in *collection.CreditorInput) { in.Name = "   " },
			map[string]string{"name": "required"}},
	} {
		in := validCreditor()
		tc.change(&in)
		p, pp, err := in.Validate()
		if err == nil {
			t.Errorf("%s: accepted %+v %+v", tc.name, p, pp)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { wantFields(t, err, tc.want) })
	}
}

func TestNormalizeLegalForm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"SARL", "SARL", ""},
		{"s.a.r.l.", "SARL", ""},
		{"Spa", "SPA", ""},
		{"SA", "SPA", ""},
		{"EURL", "EURL", ""},
		{"E.P.I.C", "EPIC", ""},
		{"Association", "association", ""},
		{"Coopérative", "cooperative", ""},
		{"other", "other", ""},
		{"LLC", "", "must be one of"},
		{"GmbH", "", "must be one of"},
	} {
		checkValue(t, "NormalizeLegalForm", collection.NormalizeLegalForm, tc.in, tc.want, tc.err)
	}
	for _, f := range collection.LegalForms() {
		if got, err := collection.NormalizeLegalForm(f); err != nil || got != f {
			t.Errorf("canonical form %q normalises to %q, %v", f, got, err)
		}
	}
}

func validDebtor() collection.DebtorInput {
	return collection.DebtorInput{
		Kind:     "person",
		FullName: "مُحَمَّد  بن علي",
		NIN:      "1098 7012 3456 7890 12",
		Phones:   []string{"0550 12 34 56", "+213 661 23 45 67"},
		Email:    "m.benali@Example.DZ",
		Address:  "Cité 500 logements, bloc 12",
		Wilaya:   19,
	}
}

func TestDebtorInputValid(t *testing.T) {
	t.Parallel()
	p, pp, err := validDebtor().Validate()
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	wantP := collection.DebtorProfile{Kind: "person", Wilaya: 19, PreferredChannel: "sms", Language: "ar"}
	wantPP := collection.DebtorPersonal{
		FullName: "مُحَمَّد بن علي", NIN: "109870123456789012",
		Phones: []string{"+213550123456", "+213661234567"}, Email: "m.benali@example.dz",
		Address: "Cité 500 logements, bloc 12",
	}
	if p != wantP {
		t.Errorf("profile = %+v, want %+v", p, wantP)
	}
	if !reflect.DeepEqual(pp, wantPP) {
		t.Errorf("personal = %+v, want %+v", pp, wantPP)
	}
	if err := collection.ValidateDebtorProfile(p); err != nil {
		t.Errorf("the decider refuses the validated profile: %v", err)
	}
}

func TestDebtorInputDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		in      collection.DebtorInput
		channel string
		lang    string
	}{
		{"phone", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1, Phones: []string{"0550123456"}}, "sms", "ar"},
		{"phone and email", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1, Phones: []string{"0550123456"}, Email: "a@b.dz"}, "sms", "ar"},
		{"email only", collection.DebtorInput{Kind: "company", FullName: "Acme", Wilaya: 1, Email: "a@b.dz"}, "email", "ar"},
		{"nothing", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1}, "none", "ar"},
		{"explicit", collection.DebtorInput{Kind: " Person ", FullName: "Ali Kaci", Wilaya: 1, Phones: []string{"0550123456"}, Email: "a@b.dz", PreferredChannel: "EMAIL", Language: "Fr"}, "email", "fr"},
		{"none despite phone", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1, Phones: []string{"0550123456"}, PreferredChannel: "none", Language: "en"}, "none", "en"},
	} {
		p, _, err := tc.in.Validate()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if p.PreferredChannel != tc.channel || p.Language != tc.lang {
			t.Errorf("%s: channel %q language %q, want %q %q", tc.name, p.PreferredChannel, p.Language, tc.channel, tc.lang)
		}
	}
}

func TestDebtorInputInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   collection.DebtorInput
		want map[string]string
	}{
		{"empty", collection.DebtorInput{}, map[string]string{
			"kind": "required", "full_name": "required", "wilaya": "required"}},
		{"unknown kind", collection.DebtorInput{Kind: "robot", FullName: "R2-D2", Wilaya: 1},
			map[string]string{"kind": "person or company"}},
		{"person name with digits", collection.DebtorInput{Kind: "person", FullName: "Ali 2", Wilaya: 1},
			map[string]string{"full_name": "may contain only"}},
		{"person with rc", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", RC: "16/00-1 B 19", Wilaya: 1},
			map[string]string{"rc": "a person has no RC"}},
		{"company with nin", collection.DebtorInput{Kind: "company", FullName: "Acme", NIN: "109870123456789012", Wilaya: 1},
			map[string]string{"nin": "a company has no NIN"}},
		{"bad ids", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", NIN: "12345", NIF: "12", Wilaya: 1},
			map[string]string{"nin": "18 digits", "nif": "15 digits"}},
		{"phones", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1,
			Phones: []string{"0550123456", "021 12 34 56", "", "+213 550 12 34 56", "hello"}},
			map[string]string{"phones[1]": "landline", "phones[2]": "empty", "phones[3]": "same number as phones[0]", "phones[4]": "letters"}},
		{"too many phones", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1,
			Phones: []string{"0550000001", "0550000002", "0550000003", "0550000004", "0550000005", "0550000006"}},
			map[string]string{"phones": "at most 5"}},
		{"sms without phone", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1, Email: "a@b.dz", PreferredChannel: "sms"},
			map[string]string{"preferred_channel": "sms needs"}},
		{"email without email", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1, PreferredChannel: "email"},
			map[string]string{"preferred_channel": "email needs"}},
		{"unknown channel and language", collection.DebtorInput{Kind: "person", FullName: "Ali Kaci", Wilaya: 1, PreferredChannel: "fax", Language: "de"},
			map[string]string{"preferred_channel": "one of sms, email, none", "language": "one of ar, fr, en"}},
		{"bad email address wilaya", collection.DebtorInput{Kind: "company", FullName: "Acme", Wilaya: 99, Email: "acme", Address: strings.Repeat("x", 501)},
			map[string]string{"email": "not a valid", "wilaya": "not a wilaya", "address": "at most 500"}},
	} {
		p, pp, err := tc.in.Validate()
		if err == nil {
			t.Errorf("%s: accepted %+v %+v", tc.name, p, pp)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { wantFields(t, err, tc.want) })
	}
}

func TestCreditorPatch(t *testing.T) {
	t.Parallel()
	c, pp, names, err := collection.CreditorPatch{
		Name:          ptr("  Benali  & Fils "),
		Phone:         ptr("0550 12 34 56"),
		RC:            ptr(""),
		LegalForm:     ptr("eurl"),
		Sector:        ptr(""),
		Wilaya:        ptr(59),
		CommissionBPS: ptr(0),
	}.Validate()
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if !slices.Equal(names, []string{"name", "rc", "phone"}) {
		t.Errorf("names = %q", names)
	}
	if pp != (collection.CreditorPersonal{Name: "Benali & Fils", Phone: "+213550123456"}) {
		t.Errorf("personal = %+v", pp)
	}
	if c.LegalForm == nil || *c.LegalForm != "EURL" || c.Sector == nil || *c.Sector != "" ||
		c.Wilaya == nil || *c.Wilaya != 59 || c.CommissionBPS == nil || *c.CommissionBPS != 0 {
		t.Errorf("changes = %+v", c)
	}

	c, pp, names, err = collection.CreditorPatch{Email: ptr("a@b.dz")}.Validate()
	if err != nil || c != (collection.CreditorChanges{}) || !slices.Equal(names, []string{"email"}) || pp.Email != "a@b.dz" {
		t.Errorf("personal-only patch: %+v %+v %q %v", c, pp, names, err)
	}

	_, _, _, err = collection.CreditorPatch{}.Validate()
	wantFields(t, err, map[string]string{"": "the patch changes nothing"})

	_, _, _, err = collection.CreditorPatch{
		Name: ptr(""), NIF: ptr(" "), Wilaya: ptr(0), CommissionBPS: ptr(20000),
		LegalForm: ptr("LLC"), Phone: ptr("12"), ContactName: ptr("x"),
	}.Validate()
	wantFields(t, err, map[string]string{
		"name": "cannot be removed", "nif": "cannot be removed", "wilaya": "required",
		"commission_bps": "between", "legal_form": "one of", "phone": "not an Algerian",
		"contact_name": "too short",
	})
}

func TestDebtorPatch(t *testing.T) {
	t.Parallel()
	c, pp, names, err := collection.DebtorPatch{
		FullName:         ptr("Ali  Kaci"),
		Phones:           ptr([]string{"0550123456"}),
		Email:            ptr(""),
		PreferredChannel: ptr("SMS"),
		Language:         ptr("fr"),
	}.Validate(collection.DebtorPerson)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if !slices.Equal(names, []string{"full_name", "phones", "email"}) {
		t.Errorf("names = %q", names)
	}
	if !reflect.DeepEqual(pp, collection.DebtorPersonal{FullName: "Ali Kaci", Phones: []string{"+213550123456"}}) {
		t.Errorf("personal = %+v", pp)
	}
	if c.PreferredChannel == nil || *c.PreferredChannel != "sms" || c.Language == nil || *c.Language != "fr" || c.Wilaya != nil {
		t.Errorf("changes = %+v", c)
	}

	// Clearing phones is allowed and named.
	_, pp, names, err = collection.DebtorPatch{Phones: ptr([]string{})}.Validate(collection.DebtorCompany)
	if err != nil || pp.Phones != nil || !slices.Equal(names, []string{"phones"}) {
		t.Errorf("clear phones: %+v %q %v", pp, names, err)
	}

	for _, tc := range []struct {
		name  string
		kind  string
		patch collection.DebtorPatch
		want  map[string]string
	}{
		{"empty", collection.DebtorPerson, collection.DebtorPatch{}, map[string]string{"": "changes nothing"}},
		{"person rc", collection.DebtorPerson, collection.DebtorPatch{RC: ptr("16/00-1")}, map[string]string{"rc": "a person has no RC"}},
		{"company nin", collection.DebtorCompany, collection.DebtorPatch{NIN: ptr("109870123456789012")}, map[string]string{"nin": "a company has no NIN"}},
		{"company name rules", collection.DebtorPerson, collection.DebtorPatch{FullName: ptr("Acme 2")}, map[string]string{"full_name": "may contain only"}},
		{"required cleared", collection.DebtorPerson, collection.DebtorPatch{FullName: ptr(""), Wilaya: ptr(0)},
			map[string]string{"full_name": "cannot be removed", "wilaya": "required"}},
		{"sms with phones cleared", collection.DebtorPerson, collection.DebtorPatch{Phones: ptr([]string{}), PreferredChannel: ptr("sms")},
			map[string]string{"preferred_channel": "sms needs"}},
		{"email with email cleared", collection.DebtorPerson, collection.DebtorPatch{Email: ptr(""), PreferredChannel: ptr("email")},
			map[string]string{"preferred_channel": "email needs"}},
		{"channel and language cleared", collection.DebtorPerson, collection.DebtorPatch{PreferredChannel: ptr(""), Language: ptr("")},
			map[string]string{"preferred_channel": "one of", "language": "one of"}},
		{"bad phones", collection.DebtorPerson, collection.DebtorPatch{Phones: ptr([]string{"0550123456", "0550123456"})},
			map[string]string{"phones[1]": "same number"}},
	} {
		_, _, _, err := tc.patch.Validate(tc.kind)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { wantFields(t, err, tc.want) })
	}

	_, _, _, err = collection.DebtorPatch{Language: ptr("fr")}.Validate("robot")
	if err == nil {
		t.Error("unknown current kind accepted")
	} else if _, ok := collection.AsRejection(err); ok {
		t.Error("an unknown current kind is the caller's bug, not a client's rejection")
	}
}

func TestCheckPreferredChannel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		channel          string
		phone, email, ok bool
	}{
		{"sms", true, false, true},
		{"sms", false, true, false},
		{"email", false, true, true},
		{"email", true, false, false},
		{"none", false, false, true},
	} {
		if err := collection.CheckPreferredChannel(tc.channel, tc.phone, tc.email); (err == nil) != tc.ok {
			t.Errorf("CheckPreferredChannel(%q, %v, %v) = %v", tc.channel, tc.phone, tc.email, err)
		}
	}
}

func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{
		"0550 12 34 56", "0550-123-456", "+213550123456", "00213 550 12 34 56", "213550123456",
		"+213 (0) 550 12 34 56", "550123456", "021 12 34 56", "٠٥٥٠١٢٣٤٥٦", "+", "00", "0", "abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := collection.NormalizeMobile(s)
		if err != nil {
			if _, ok := err.(*collection.ValueError); !ok {
				t.Fatalf("error %T is not a *ValueError", err)
			}
			return
		}
		if len(m) != 13 || !strings.HasPrefix(m, "+213") || !strings.ContainsRune("567", rune(m[4])) ||
			strings.Trim(m[1:], "0123456789") != "" {
			t.Fatalf("NormalizeMobile(%q) = %q, not +213[567]XXXXXXXX", s, m)
		}
		if again, err := collection.NormalizeMobile(m); err != nil || again != m {
			t.Fatalf("NormalizeMobile(%q) = %q, %v: not idempotent", m, again, err)
		}
		if p, err := collection.NormalizePhone(s); err != nil || p != m {
			t.Fatalf("NormalizePhone(%q) = %q, %v; NormalizeMobile gave %q", s, p, err, m)
		}
	})
}

// debtorInputOf turns validated values back into an input, to check that
// what the API stores validates again to itself.
func debtorInputOf(p collection.DebtorProfile, pp collection.DebtorPersonal) collection.DebtorInput {
	return collection.DebtorInput{
		Kind: p.Kind, FullName: pp.FullName, NIN: pp.NIN, NIF: pp.NIF, RC: pp.RC,
		Phones: pp.Phones, Email: pp.Email, Address: pp.Address, Wilaya: p.Wilaya,
		PreferredChannel: p.PreferredChannel, Language: p.Language,
	}
}

func FuzzDebtorInput(f *testing.F) {
	for _, s := range []string{
		`{"kind":"person","full_name":"مُحَمَّد بن علي","nin":"109870123456789012","phones":["0550 12 34 56"],"wilaya":19}`,
		`{"kind":"company","full_name":"SARL El Baraka & Fils","nif":"000116001234567","rc":"16/00-0123456 B 19","email":"A@B.DZ","wilaya":16,"language":"fr"}`,
		`{"kind":"person","full_name":"Zoé Lefèvre","phones":["+213661234567","0771234567"],"preferred_channel":"none","wilaya":69}`,
		`{"kind":"person","full_name":"<script>","phones":["021 12 34 56",""],"wilaya":70}`,
		`{}`, `null`, `[]`, `{"phones":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in collection.DebtorInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		p, pp, err := in.Validate()
		if err != nil {
			if r, ok := collection.AsRejection(err); !ok || r.Code != collection.CodeInvalid || len(r.Errors) == 0 {
				t.Fatalf("Validate error %v is not an invalid rejection with field errors", err)
			}
			return
		}
		if err := collection.ValidateDebtorProfile(p); err != nil {
			t.Fatalf("the decider refuses a validated profile %+v: %v", p, err)
		}
		p2, pp2, err := debtorInputOf(p, pp).Validate()
		if err != nil {
			t.Fatalf("validated debtor %+v %+v does not validate again: %v", p, pp, err)
		}
		if p2 != p || !reflect.DeepEqual(pp2, pp) {
			t.Fatalf("not idempotent:\n%+v %+v\n%+v %+v", p, pp, p2, pp2)
		}
	})
}

func FuzzSearchText(f *testing.F) {
	for _, s := range []string{
		"BENALI Mohamed", "مُحَمَّد بن علي", "Sétif", "ﻣﺤﻤﺪ ﷲ", "أإآٱىةؤئ", "٠١٢٣٤٥٦٧٨٩ ۰۱۲",
		"M'Hamed O’Brien", "Cœur ß Ø", "ＡＢＣ ｶﾀｶﾅ", "한국어", "İstanbul", "ǅ ǈ ǋ", "\xff\xfe", "a\u0301\u0302",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := collection.SearchText(s)
		if twice := collection.SearchText(once); twice != once {
			t.Fatalf("SearchText not idempotent:\n%q\n%q\n%q", s, once, twice)
		}
		if q := collection.NormalizeQuery(s); !strings.Contains(once, q) && strings.Trim(q, "0123456789") != "" {
			t.Fatalf("query %q normalises to %q, not found in its own search text %q", s, q, once)
		}
	})
}
