package collection

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The validators in this file check what a client sent, before a command
// is built. Each reports every problem at once as FieldErrors named by the
// JSON field, and returns the normalised values that go into the command:
// the non-personal profile in clear and the personal part to be sealed.

// Legal forms a creditor may declare. The list follows the Algerian
// commercial code (SPA, SARL, EURL, SNC, SCS, SCA), the sole trader (EI,
// entreprise individuelle), public bodies (EPE, EPIC, EPA), and
// associations and cooperatives. "other" covers the rest (foreign branch,
// groupement, liberal profession) without losing the record.
const (
	LegalFormSPA         = "SPA"  // société par actions
	LegalFormSARL        = "SARL" // société à responsabilité limitée
	LegalFormEURL        = "EURL" // entreprise unipersonnelle à responsabilité limitée
	LegalFormSNC         = "SNC"  // société en nom collectif
	LegalFormSCS         = "SCS"  // société en commandite simple
	LegalFormSCA         = "SCA"  // société en commandite par actions
	LegalFormEI          = "EI"   // entreprise individuelle (commerçant personne physique)
	LegalFormEPE         = "EPE"  // entreprise publique économique
	LegalFormEPIC        = "EPIC" // établissement public à caractère industriel et commercial
	LegalFormEPA         = "EPA"  // établissement public à caractère administratif
	LegalFormAssociation = "association"
	LegalFormCooperative = "cooperative"
	LegalFormOther       = "other"
)

var legalForms = []string{
	LegalFormSPA, LegalFormSARL, LegalFormEURL, LegalFormSNC, LegalFormSCS, LegalFormSCA,
	LegalFormEI, LegalFormEPE, LegalFormEPIC, LegalFormEPA,
	LegalFormAssociation, LegalFormCooperative, LegalFormOther,
}

// LegalForms lists the canonical legal forms, in display order (a copy).
func LegalForms() []string { return append([]string(nil), legalForms...) }

// NormalizeLegalForm returns the canonical spelling of a legal form. Case,
// accents, dots and spaces are ignored ("S.A.R.L." → "SARL",
// "Coopérative" → "cooperative"), and "SA", the French name of the SPA,
// is read as SPA.
func NormalizeLegalForm(s string) (string, error) {
	key := strings.ToUpper(strings.NewReplacer(" ", "", ".", "").Replace(foldSearch(s)))
	if key == "SA" {
		key = LegalFormSPA
	}
	for _, f := range legalForms {
		if strings.ToUpper(f) == key {
			return f, nil
		}
	}
	return "", invalid("must be one of " + strings.Join(legalForms, ", "))
}

// MaxPhones is how many phone numbers a debtor record holds.
const MaxPhones = 5

// Debtor defaults, applied when the client leaves the field out.
const (
	// DefaultLanguage is Arabic, the official language in which most
	// debtors are addressed; fr and en are chosen explicitly.
	DefaultLanguage = "ar"
)

// DefaultPreferredChannel is the channel of a debtor who did not choose
// one: SMS when there is a phone (every number kept is a mobile), else
// e-mail when there is an address, else none.
func DefaultPreferredChannel(hasPhone, hasEmail bool) string {
	switch {
	case hasPhone:
		return "sms"
	case hasEmail:
		return "email"
	default:
		return "none"
	}
}

// CheckPreferredChannel tells whether a debtor can be reached on the
// channel they prefer. A patch cannot know the phones and e-mail it leaves
// unchanged, so the API calls this on the merged record as well.
func CheckPreferredChannel(channel string, hasPhone, hasEmail bool) error {
	switch {
	case channel == "sms" && !hasPhone:
		return invalid("sms needs at least one phone number")
	case channel == "email" && !hasEmail:
		return invalid("email needs an e-mail address")
	}
	return nil
}

// CreditorInput is a creditor as a client sends it to register one.
type CreditorInput struct {
	Name          string `json:"name"`
	LegalForm     string `json:"legal_form"`
	NIF           string `json:"nif"`
	RC            string `json:"rc"`
	Sector        string `json:"sector"`
	Wilaya        int    `json:"wilaya"`
	Address       string `json:"address"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	ContactName   string `json:"contact_name"`
	CommissionBPS int    `json:"commission_bps"`
}

// Validate checks a new creditor and returns its normalised profile and
// personal part. Required: name (a company or a person's name), nif,
// wilaya. Optional: legal_form (LegalForms), rc, sector (≤ 100), address
// (≤ 500), phone (mobile or landline), email, contact_name (a person's
// name). commission_bps is 0 to 10000.
func (in CreditorInput) Validate() (CreditorProfile, CreditorPersonal, error) {
	var fe FieldErrors
	var p CreditorProfile
	var pp CreditorPersonal
	pp.Name = required(&fe, "name", in.Name, ValidateCompanyName)
	p.LegalForm = optional(&fe, "legal_form", in.LegalForm, NormalizeLegalForm)
	pp.NIF = required(&fe, "nif", in.NIF, ValidateNIF)
	pp.RC = optional(&fe, "rc", in.RC, validateRC)
	p.Sector = optional(&fe, "sector", in.Sector, textUpTo(MaxSectorLength))
	p.Wilaya = in.Wilaya
	requiredWilaya(&fe, "wilaya", in.Wilaya)
	pp.Address = optional(&fe, "address", in.Address, textUpTo(MaxAddressLength))
	pp.Phone = optional(&fe, "phone", in.Phone, NormalizePhone)
	pp.Email = optional(&fe, "email", in.Email, NormalizeEmail)
	pp.ContactName = optional(&fe, "contact_name", in.ContactName, ValidatePersonName)
	p.CommissionBPS = in.CommissionBPS
	checkCommission(&fe, in.CommissionBPS)
	if err := fe.Err(); err != nil {
		return CreditorProfile{}, CreditorPersonal{}, err
	}
	return p, pp, nil
}

// DebtorInput is a debtor as a client sends it to register one.
type DebtorInput struct {
	Kind             string   `json:"kind"`
	FullName         string   `json:"full_name"`
	NIN              string   `json:"nin"`
	NIF              string   `json:"nif"`
	RC               string   `json:"rc"`
	Phones           []string `json:"phones"`
	Email            string   `json:"email"`
	Address          string   `json:"address"`
	Wilaya           int      `json:"wilaya"`
	PreferredChannel string   `json:"preferred_channel"`
	Language         string   `json:"language"`
}

// Validate checks a new debtor and returns its normalised profile and
// personal part.
//
//   - kind: required, person or company; fixed for the life of the record.
//   - full_name: required; a person's name for a person, a company name
//     for a company.
//   - nin: persons only, optional, 18 digits. A company has none.
//   - nif: optional for both: persons in a liberal profession or trade
//     are taxpayers too.
//   - rc: companies only, optional. A trader registered at the CNRC is
//     recorded as a company (a sole proprietorship), so a person with an
//     rc is refused rather than silently kept.
//   - phones: 0 to 5 distinct mobile numbers (reminders go out by SMS),
//     each reported as phones[i].
//   - email, address (≤ 500): optional.
//   - wilaya: required.
//   - preferred_channel: sms, email or none; by default sms if there is a
//     phone, else email if there is an e-mail, else none. sms needs a
//     phone and email an e-mail.
//   - language: ar, fr or en; ar by default.
func (in DebtorInput) Validate() (DebtorProfile, DebtorPersonal, error) {
	var fe FieldErrors
	var p DebtorProfile
	var pp DebtorPersonal

	p.Kind = strings.ToLower(strings.TrimSpace(in.Kind))
	switch p.Kind {
	case DebtorPerson, DebtorCompany:
	case "":
		fe.Add("kind", "is required")
	default:
		fe.Add("kind", "must be person or company")
	}
	if p.Kind == DebtorPerson {
		pp.FullName = required(&fe, "full_name", in.FullName, ValidatePersonName)
	} else {
		pp.FullName = required(&fe, "full_name", in.FullName, ValidateCompanyName)
	}
	pp.NIN = optional(&fe, "nin", in.NIN, ninFor(p.Kind))
	pp.NIF = optional(&fe, "nif", in.NIF, ValidateNIF)
	pp.RC = optional(&fe, "rc", in.RC, rcFor(p.Kind))
	pp.Phones = checkPhones(&fe, in.Phones)
	pp.Email = optional(&fe, "email", in.Email, NormalizeEmail)
	pp.Address = optional(&fe, "address", in.Address, textUpTo(MaxAddressLength))
	p.Wilaya = in.Wilaya
	requiredWilaya(&fe, "wilaya", in.Wilaya)

	hasPhone, hasEmail := len(in.Phones) > 0, strings.TrimSpace(in.Email) != ""
	p.PreferredChannel = strings.ToLower(strings.TrimSpace(in.PreferredChannel))
	if p.PreferredChannel == "" {
		p.PreferredChannel = DefaultPreferredChannel(hasPhone, hasEmail)
	}
	if checkOneOf(&fe, "preferred_channel", p.PreferredChannel, Channels) {
		addErr(&fe, "preferred_channel", CheckPreferredChannel(p.PreferredChannel, hasPhone, hasEmail))
	}
	p.Language = strings.ToLower(strings.TrimSpace(in.Language))
	if p.Language == "" {
		p.Language = DefaultLanguage
	}
	checkOneOf(&fe, "language", p.Language, Languages)

	if err := fe.Err(); err != nil {
		return DebtorProfile{}, DebtorPersonal{}, err
	}
	return p, pp, nil
}

// CreditorPatch is a partial update of a creditor. A nil field is left
// unchanged (JSON: absent or null); an empty string clears an optional
// field. Required fields (name, nif, wilaya) cannot be cleared.
type CreditorPatch struct {
	Name          *string `json:"name"`
	LegalForm     *string `json:"legal_form"`
	NIF           *string `json:"nif"`
	RC            *string `json:"rc"`
	Sector        *string `json:"sector"`
	Wilaya        *int    `json:"wilaya"`
	Address       *string `json:"address"`
	Phone         *string `json:"phone"`
	Email         *string `json:"email"`
	ContactName   *string `json:"contact_name"`
	CommissionBPS *int    `json:"commission_bps"`
}

// Validate checks a creditor patch with the rules of CreditorInput. It
// returns the non-personal changes, the personal part holding only the
// changed values, and the JSON names of the changed personal fields, in
// the order of CreditorPersonal. A named field whose value is empty in the
// personal part is cleared. A patch that changes nothing is an error.
func (p CreditorPatch) Validate() (CreditorChanges, CreditorPersonal, []string, error) {
	var fe FieldErrors
	var c CreditorChanges
	var pp CreditorPersonal
	var names []string
	set := func(field string, dst *string, v *string, check func(string) (string, error), req bool) {
		if v == nil {
			return
		}
		*dst = patchValue(&fe, field, *v, check, req)
		names = append(names, field)
	}
	set("name", &pp.Name, p.Name, ValidateCompanyName, true)
	set("nif", &pp.NIF, p.NIF, ValidateNIF, true)
	set("rc", &pp.RC, p.RC, validateRC, false)
	set("address", &pp.Address, p.Address, textUpTo(MaxAddressLength), false)
	set("phone", &pp.Phone, p.Phone, NormalizePhone, false)
	set("email", &pp.Email, p.Email, NormalizeEmail, false)
	set("contact_name", &pp.ContactName, p.ContactName, ValidatePersonName, false)

	if p.LegalForm != nil {
		v := patchValue(&fe, "legal_form", *p.LegalForm, NormalizeLegalForm, false)
		c.LegalForm = &v
	}
	if p.Sector != nil {
		v := patchValue(&fe, "sector", *p.Sector, textUpTo(MaxSectorLength), false)
		c.Sector = &v
	}
	if p.Wilaya != nil {
		v := *p.Wilaya
		requiredWilaya(&fe, "wilaya", v)
		c.Wilaya = &v
	}
	if p.CommissionBPS != nil {
		v := *p.CommissionBPS
		checkCommission(&fe, v)
		c.CommissionBPS = &v
	}
	if c.empty() && len(names) == 0 {
		fe.Add("", "the patch changes nothing")
	}
	if err := fe.Err(); err != nil {
		return CreditorChanges{}, CreditorPersonal{}, nil, err
	}
	return c, pp, names, nil
}

// DebtorPatch is a partial update of a debtor. A nil field is left
// unchanged (JSON: absent or null); an empty string clears an optional
// field and an empty list clears the phones. full_name and wilaya cannot
// be cleared, and preferred_channel and language are set, never cleared.
// There is no kind: a person does not become a company.
type DebtorPatch struct {
	FullName         *string   `json:"full_name"`
	NIN              *string   `json:"nin"`
	NIF              *string   `json:"nif"`
	RC               *string   `json:"rc"`
	Phones           *[]string `json:"phones"`
	Email            *string   `json:"email"`
	Address          *string   `json:"address"`
	Wilaya           *int      `json:"wilaya"`
	PreferredChannel *string   `json:"preferred_channel"`
	Language         *string   `json:"language"`
}

// Validate checks a debtor patch against the debtor's current kind
// (person or company) with the rules of DebtorInput, and returns what
// CreditorPatch.Validate returns, for a debtor. Only what the patch itself
// shows is checked for the preferred channel (sms with the phones cleared,
// email with the e-mail cleared); the caller checks the merged record with
// CheckPreferredChannel.
func (p DebtorPatch) Validate(kind string) (DebtorChanges, DebtorPersonal, []string, error) {
	if kind != DebtorPerson && kind != DebtorCompany {
		return DebtorChanges{}, DebtorPersonal{}, nil, fmt.Errorf("validate debtor patch: unknown current kind %q", kind)
	}
	var fe FieldErrors
	var c DebtorChanges
	var pp DebtorPersonal
	var names []string
	set := func(field string, dst *string, v *string, check func(string) (string, error), req bool) {
		if v == nil {
			return
		}
		*dst = patchValue(&fe, field, *v, check, req)
		names = append(names, field)
	}
	if kind == DebtorPerson {
		set("full_name", &pp.FullName, p.FullName, ValidatePersonName, true)
	} else {
		set("full_name", &pp.FullName, p.FullName, ValidateCompanyName, true)
	}
	set("nin", &pp.NIN, p.NIN, ninFor(kind), false)
	set("nif", &pp.NIF, p.NIF, ValidateNIF, false)
	set("rc", &pp.RC, p.RC, rcFor(kind), false)
	if p.Phones != nil {
		pp.Phones = checkPhones(&fe, *p.Phones)
		names = append(names, "phones")
	}
	set("email", &pp.Email, p.Email, NormalizeEmail, false)
	set("address", &pp.Address, p.Address, textUpTo(MaxAddressLength), false)

	if p.Wilaya != nil {
		v := *p.Wilaya
		requiredWilaya(&fe, "wilaya", v)
		c.Wilaya = &v
	}
	if p.PreferredChannel != nil {
		v := strings.ToLower(strings.TrimSpace(*p.PreferredChannel))
		if checkOneOf(&fe, "preferred_channel", v, Channels) {
			clearsPhones := p.Phones != nil && len(*p.Phones) == 0
			clearsEmail := p.Email != nil && strings.TrimSpace(*p.Email) == ""
			addErr(&fe, "preferred_channel", CheckPreferredChannel(v, !clearsPhones, !clearsEmail))
		}
		c.PreferredChannel = &v
	}
	if p.Language != nil {
		v := strings.ToLower(strings.TrimSpace(*p.Language))
		checkOneOf(&fe, "language", v, Languages)
		c.Language = &v
	}
	if c.empty() && len(names) == 0 {
		fe.Add("", "the patch changes nothing")
	}
	if err := fe.Err(); err != nil {
		return DebtorChanges{}, DebtorPersonal{}, nil, err
	}
	return c, pp, names, nil
}

// required runs check on a value that must be present.
func required(fe *FieldErrors, field, v string, check func(string) (string, error)) string {
	if strings.TrimSpace(v) == "" {
		fe.Add(field, "is required")
		return ""
	}
	out, err := check(v)
	addErr(fe, field, err)
	return out
}

// optional runs check on a value that may be left empty.
func optional(fe *FieldErrors, field, v string, check func(string) (string, error)) string {
	if strings.TrimSpace(v) == "" {
		return ""
	}
	out, err := check(v)
	addErr(fe, field, err)
	return out
}

// patchValue checks a value a patch sets; empty clears it unless required.
func patchValue(fe *FieldErrors, field, v string, check func(string) (string, error), req bool) string {
	if strings.TrimSpace(v) == "" {
		if req {
			fe.Add(field, "cannot be removed")
		}
		return ""
	}
	out, err := check(v)
	addErr(fe, field, err)
	return out
}

// addErr records err under field. Only a ValueError's reason is shown:
// any other error is not meant for a client.
func addErr(fe *FieldErrors, field string, err error) {
	if err == nil {
		return
	}
	var ve *ValueError
	if errors.As(err, &ve) {
		fe.Add(field, ve.Reason)
		return
	}
	fe.Add(field, "is invalid")
}

func requiredWilaya(fe *FieldErrors, field string, code int) {
	if code == 0 {
		fe.Add(field, "is required")
		return
	}
	checkWilaya(fe, field, code)
}

// checkPhones normalises a debtor's mobile numbers, naming each problem
// phones[i], and refuses a number given twice (after normalisation, so
// "0550…" and "+213550…" are the same number).
func checkPhones(fe *FieldErrors, phones []string) []string {
	if len(phones) > MaxPhones {
		fe.Add("phones", fmt.Sprintf("at most %d phone numbers", MaxPhones))
		return nil
	}
	var out []string
	seen := map[string]int{}
	for i, raw := range phones {
		field := fmt.Sprintf("phones[%d]", i)
		if strings.TrimSpace(raw) == "" {
			fe.Add(field, "is empty")
			continue
		}
		n, err := NormalizeMobile(raw)
		if err != nil {
			addErr(fe, field, err)
			continue
		}
		if j, dup := seen[n]; dup {
			fe.Add(field, fmt.Sprintf("is the same number as phones[%d]", j))
			continue
		}
		seen[n] = i
		out = append(out, n)
	}
	return out
}

func ninFor(kind string) func(string) (string, error) {
	if kind == DebtorCompany {
		return func(string) (string, error) { return "", invalid("a company has no NIN; give its NIF") }
	}
	return ValidateNIN
}

func rcFor(kind string) func(string) (string, error) {
	if kind == DebtorPerson {
		return func(string) (string, error) {
			return "", invalid("a person has no RC: record a trader registered at the CNRC as a company")
		}
	}
	return validateRC
}

func validateRC(s string) (string, error) {
	s = NormalizeRC(s)
	if err := checkPlainText(s, MaxRCLength); err != nil {
		return "", err
	}
	return s, nil
}

// textUpTo returns a check for free text of at most max runes: NFC, with
// whitespace (line breaks included) collapsed to single spaces.
func textUpTo(max int) func(string) (string, error) {
	return func(s string) (string, error) {
		if !utf8.ValidString(s) {
			return "", invalid("is not valid UTF-8 text")
		}
		s = collapseSpaces(norm.NFC.String(s))
		if err := checkPlainText(s, max); err != nil {
			return "", err
		}
		return s, nil
	}
}

// checkPlainText refuses control and invisible formatting characters (a
// bidi override reorders what staff read) and text longer than max runes.
func checkPlainText(s string, max int) error {
	if !utf8.ValidString(s) {
		return invalid("is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(fmt.Sprintf("is too long (at most %d characters)", max))
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return invalid("contains control or invisible characters")
		}
	}
	return nil
}
