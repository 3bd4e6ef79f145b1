package collection

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ValueError is why one value was refused. Its text is meant for the person
// who typed the value and never repeats the value: values are personal data,
// and reasons travel in clear to logs and to the outcomes topic.
type ValueError struct {
	Reason string
}

func (e *ValueError) Error() string { return e.Reason }

func invalid(reason string) error { return &ValueError{Reason: reason} }

// Limits of free-text fields, in runes.
const (
	MinNameLength    = 2
	MaxNameLength    = 200
	MaxRCLength      = 40
	MaxSectorLength  = 100
	MaxAddressLength = 500
	// MaxEmailLength is the longest path SMTP carries (RFC 5321), in bytes.
	MaxEmailLength = 254
)

// maxRawPhone bounds the work done on a phone number before it is parsed:
// the longest sensible way of writing one, "+213 (0) 550 12 34 56", is 21.
const maxRawPhone = 40

// phoneKind tells an Algerian mobile from a landline number.
type phoneKind int

const (
	phoneMobile phoneKind = iota + 1
	phoneLandline
)

// parsePhone returns the national significant number (the digits after
// +213 or the trunk 0) of an Algerian phone number and its kind.
//
// It accepts what people and spreadsheets actually produce: "0550 12 34 56",
// "+213 550 12 34 56", "00213550123456", "213550123456", "+213 (0)550…",
// Arabic-Indic digits, and the bare "550123456" that a spreadsheet leaves
// after eating the leading 0. Spaces, dots, dashes and parentheses are
// ignored; a + is allowed only in front.
func parsePhone(s string) (string, phoneKind, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, invalid("is empty")
	}
	if len(s) > maxRawPhone {
		return "", 0, invalid("is too long for a phone number")
	}
	var digits []byte
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r >= '٠' && r <= '٩':
			digits = append(digits, byte('0'+r-'٠'))
		case r >= '۰' && r <= '۹':
			digits = append(digits, byte('0'+r-'۰'))
		case r == '+':
			if plus || len(digits) > 0 {
				return "", 0, invalid("a + is allowed only at the start of the number")
			}
			plus = true
		case unicode.IsSpace(r) || r == '.' || r == '(' || r == ')' || unicode.Is(unicode.Pd, r):
		case unicode.IsLetter(r):
			return "", 0, invalid("a phone number cannot contain letters")
		default:
			return "", 0, invalid("may contain only digits, a leading +, spaces, dots, dashes and parentheses")
		}
	}
	d := string(digits)
	if d == "" {
		return "", 0, invalid("contains no digits")
	}

	var nsn string
	intl := false
	switch {
	case plus:
		if !strings.HasPrefix(d, "213") {
			return "", 0, invalid("only Algerian numbers (+213) are accepted")
		}
		nsn, intl = d[3:], true
	case strings.HasPrefix(d, "00"):
		if !strings.HasPrefix(d, "00213") {
			return "", 0, invalid("only Algerian numbers (00213) are accepted")
		}
		nsn, intl = d[5:], true
	// 11 digits is the shortest international form (213 and a landline's
	// 8): a bare landline such as 21 34 56 78 also starts with 213.
	case strings.HasPrefix(d, "213") && len(d) >= 11:
		nsn, intl = d[3:], true
	case strings.HasPrefix(d, "0"):
		nsn = d[1:]
	default:
		nsn = d
	}
	if intl {
		// "+213 (0)550…": the trunk 0 written after the country code.
		nsn = strings.TrimPrefix(nsn, "0")
	}

	switch {
	case nsn == "":
		return "", 0, invalid("has no subscriber number")
	case strings.ContainsRune("567", rune(nsn[0])):
		if len(nsn) != 9 {
			return "", 0, invalid("a mobile number has 10 digits: 0 then 5, 6 or 7 and 8 more digits (e.g. 0550 12 34 56)")
		}
		return nsn, phoneMobile, nil
	case strings.ContainsRune("234", rune(nsn[0])):
		if len(nsn) != 8 {
			return "", 0, invalid("a landline number has 9 digits: 0 then 2, 3 or 4 and 7 more digits (e.g. 021 12 34 56)")
		}
		return nsn, phoneLandline, nil
	default:
		return "", 0, invalid("is not an Algerian mobile (05, 06, 07) or landline (02, 03, 04) number")
	}
}

// NormalizeMobile returns an Algerian mobile number in E.164
// ("+213550123456"): +213, then 5, 6 or 7, then 8 digits. Landlines are
// refused because reminders go out by SMS.
func NormalizeMobile(s string) (string, error) {
	nsn, kind, err := parsePhone(s)
	if err != nil {
		return "", err
	}
	if kind != phoneMobile {
		return "", invalid("is a landline number; a mobile number (05, 06 or 07) is required")
	}
	return "+213" + nsn, nil
}

// NormalizePhone returns an Algerian mobile or landline number in E.164.
// Landlines are +213, then 2, 3 or 4, then 7 digits ("+21321123456").
// Creditors are mostly companies, which answer on landlines.
func NormalizePhone(s string) (string, error) {
	nsn, _, err := parsePhone(s)
	if err != nil {
		return "", err
	}
	return "+213" + nsn, nil
}

// PhoneSearchForms returns the forms under which a normalised Algerian
// number is found by search: E.164, international without the plus, and
// national ("+213550123456", "213550123456", "0550123456"). Read models
// pass them to SearchText with the other searchable parts, and
// NormalizeQuery turns a phone query into one of them. A number that is
// not +213 is returned alone.
func PhoneSearchForms(e164 string) []string {
	nsn, ok := strings.CutPrefix(e164, "+213")
	if !ok || nsn == "" {
		if e164 == "" {
			return nil
		}
		return []string{e164}
	}
	return []string{e164, "213" + nsn, "0" + nsn}
}

// ValidateNIN checks a NIN (numéro d'identification national, on the
// biometric identity card and passport): exactly 18 digits once spaces are
// removed. Its last digits are a check key whose algorithm is not public;
// none is verified here, on purpose: an invented key would refuse real
// people. The all-zero placeholder that imports use for "unknown" is refused.
func ValidateNIN(s string) (string, error) {
	d, err := digitsOnly(s, "a NIN")
	if err != nil {
		return "", err
	}
	if len(d) != 18 {
		return "", invalid("a NIN has exactly 18 digits")
	}
	if strings.Trim(d, "0") == "" {
		return "", invalid("is a placeholder, not a NIN")
	}
	return d, nil
}

// ValidateNIF checks a NIF (numéro d'identification fiscale): 15 digits
// for a taxpayer, 20 for one of its establishments (the 15 digits followed
// by the establishment's 5), once spaces are removed. The NIF is written
// with digits only; its check key is not published either, so none is
// verified.
func ValidateNIF(s string) (string, error) {
	d, err := digitsOnly(s, "a NIF")
	if err != nil {
		return "", err
	}
	if len(d) != 15 && len(d) != 20 {
		return "", invalid("a NIF has 15 digits (20 for an establishment)")
	}
	if strings.Trim(d, "0") == "" {
		return "", invalid("is a placeholder, not a NIF")
	}
	return d, nil
}

// digitsOnly removes spaces and reads Arabic-Indic digits as ASCII ones.
func digitsOnly(s, what string) (string, error) {
	if len(s) > 100 {
		return "", invalid("is too long for " + what)
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '٠' && r <= '٩':
			b.WriteByte(byte('0' + r - '٠'))
		case r >= '۰' && r <= '۹':
			b.WriteByte(byte('0' + r - '۰'))
		case unicode.IsSpace(r):
		default:
			return "", invalid(what + " contains only digits (spaces are ignored)")
		}
	}
	if b.Len() == 0 {
		return "", invalid("is empty")
	}
	return b.String(), nil
}

// NormalizeRC normalises an RC (registre du commerce) number. Its format
// has changed over the years and differs between legal forms
// ("16/00-0123456 B 19", "98 B 0123456"), so it is kept as free text:
// NFC, trimmed, internal whitespace collapsed to one space. Its length
// (MaxRCLength) and characters are checked by the input validators.
func NormalizeRC(s string) string {
	return collapseSpaces(norm.NFC.String(s))
}

// collapseSpaces trims s and replaces each run of whitespace with one space.
func collapseSpaces(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ValidatePersonName checks and normalises the name of a person: letters
// in Arabic script (including presentation forms and tashkeel) or Latin
// script (including accented letters), spaces, hyphens, apostrophes and
// dots; at least two letters; 2 to 200 characters. The result is NFC with
// whitespace collapsed. Both scripts may appear in one name
// ("Mohamed محمد").
func ValidatePersonName(s string) (string, error) { return validateName(s, false) }

// ValidateCompanyName is ValidatePersonName with what company names need
// besides: digits and & , ( ) / + " « » ; at least one letter.
func ValidateCompanyName(s string) (string, error) { return validateName(s, true) }

// maxMarks bounds the diacritics stacked on one letter: Arabic needs at
// most shadda, a vowel and a superscript alef; more is "zalgo" garbage.
const maxMarks = 3

func validateName(s string, company bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid("is not valid UTF-8 text")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("is required")
	}
	if utf8.RuneCountInString(s) > 4*MaxNameLength {
		return "", invalid("is too long (at most 200 characters)")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", invalid("contains control or invisible characters")
		}
	}
	s = collapseSpaces(norm.NFC.String(s))

	letters, marks := 0, 0
	prevBase := false // the previous rune can carry a diacritic
	for _, r := range s {
		isMark := unicode.Is(unicode.Mn, r)
		if !isMark {
			marks = 0
		}
		switch {
		case r == 'ـ': // tatweel stretches a word and may carry harakat; it is not a letter
			prevBase = true
		case unicode.IsLetter(r) && (unicode.Is(unicode.Arabic, r) || unicode.Is(unicode.Latin, r)):
			letters++
			prevBase = true
		case isMark && (unicode.Is(unicode.Arabic, r) || unicode.Is(unicode.Inherited, r)):
			marks++
			if !prevBase {
				return "", invalid("a diacritic must follow a letter")
			}
			if marks > maxMarks {
				return "", invalid("has too many diacritics on one letter")
			}
		case unicode.IsLetter(r) && r != 'ʼ':
			return "", invalid("letters must be in Arabic or Latin script")
		case r == ' ' || r == '-' || r == '\'' || r == '’' || r == 'ʼ' || r == '.':
			prevBase = false
		case company && (isASCIIorArabicDigit(r) || strings.ContainsRune(`&,()/+"«»،`, r)):
			prevBase = false
		default:
			if company {
				return "", invalid(`may contain only letters (Arabic or Latin), digits, spaces and - ' . & , ( ) / + " « »`)
			}
			return "", invalid("may contain only letters (Arabic or Latin), spaces, hyphens, apostrophes and dots")
		}
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < MinNameLength:
		return "", invalid("is too short (at least 2 characters)")
	case n > MaxNameLength:
		return "", invalid("is too long (at most 200 characters)")
	case company && letters < 1:
		return "", invalid("must contain at least one letter")
	case !company && letters < 2:
		return "", invalid("must contain at least two letters")
	}
	return s, nil
}

func isASCIIorArabicDigit(r rune) bool {
	return r >= '0' && r <= '9' || r >= '٠' && r <= '٩' || r >= '۰' && r <= '۹'
}

// NormalizeEmail checks an e-mail address with net/mail and returns it with
// its domain in lower case (the local part is case-sensitive in principle,
// so it is kept). Only a bare ASCII address is accepted: no display name,
// no <>, comments or quoted local part, since the address is used as typed
// on SMTP servers that may not speak SMTPUTF8. An internationalised domain
// is written in its xn-- form.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("is empty")
	}
	if len(s) > MaxEmailLength {
		return "", invalid("is too long (at most 254 characters)")
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return "", invalid("must be written in ASCII (an internationalised domain in its xn-- form)")
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", invalid("is not a valid e-mail address")
	}
	if a.Name != "" {
		return "", invalid("must be the bare address, without a display name")
	}
	if a.Address != s {
		return "", invalid("must be a plain address like name@example.dz, without <>, quotes or comments")
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if len(local) > 64 {
		return "", invalid("the part before @ is too long (at most 64 characters)")
	}
	if !validDomain(domain) {
		return "", invalid("the domain after @ is not a valid internet domain")
	}
	return local + "@" + domain, nil
}

// validDomain accepts a lower-case DNS host name of at least two labels
// whose top-level label is not numeric: mail to "localhost" or to an IP
// address never reaches a debtor.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// SearchText builds the text that the read models index (pg_trgm) for
// "?q=" search, from the searchable parts of a record. It folds away what
// a person does not type consistently:
//
//   - case, and compatibility forms (NFKC: Arabic presentation forms and
//     ligatures, full-width letters);
//   - Latin diacritics (é→e, ç→c; œ→oe, æ→ae, ß→ss);
//   - Arabic tashkeel and tatweel; أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ → و,
//     ئ → ي (Persian ی and ک are read as ي and ك);
//   - Arabic-Indic digits (٠-٩, ۰-۹) → 0-9;
//   - apostrophes are dropped (M'Hamed → mhamed), other punctuation and
//     invisible characters become spaces, and whitespace is collapsed.
//
// Phones are found by their E.164, international and national forms: pass
// PhoneSearchForms of each phone among the parts. SearchText is idempotent.
func SearchText(parts ...string) string {
	return foldSearch(strings.Join(parts, " "))
}

// NormalizeQuery folds a search query like SearchText, so that "Benali"
// finds "BENALI", "محمد" finds "مُحَمَّد" and "Sétif" finds "setif". A
// query made only of digits and separators is joined into one number
// ("0550 12 34 56" → "0550123456"), and one that reads as an Algerian
// phone number written with a leading 0 or 00213 becomes the national
// form, which PhoneSearchForms puts in the search text. "+213…" needs no
// rewriting: folded it is the international form, also in the text.
func NormalizeQuery(q string) string {
	s := foldSearch(q)
	if s == "" || strings.Trim(s, "0123456789 ") != "" {
		return s
	}
	d := strings.ReplaceAll(s, " ", "")
	if strings.HasPrefix(d, "0") {
		if e164, err := NormalizePhone(d); err == nil {
			return "0" + strings.TrimPrefix(e164, "+213")
		}
	}
	return d
}

// searchLetters rewrites single runes after decomposition; marks are
// already gone, so أ إ آ ؤ ئ arrived here as ا ا ا و ي.
var searchLetters = map[rune]string{
	'ٱ': "ا", 'ٲ': "ا", 'ٳ': "ا",
	'ى': "ي", 'ی': "ي", 'ة': "ه", 'ک': "ك",
	'œ': "oe", 'æ': "ae", 'ß': "ss", 'ø': "o", 'đ': "d", 'ł': "l", 'ı': "i",
	'\'': "", '’': "", '‘': "", 'ʼ': "", '`': "",
	'ـ': "",
}

func foldSearch(s string) string {
	s = strings.ToValidUTF8(s, " ")
	// Compatibility forms first so that lower-casing sees plain letters,
	// then canonical decomposition so that every diacritic, Latin or
	// Arabic (hamza above and below, madda), is a separate mark to drop.
	s = norm.NFD.String(strings.ToLower(norm.NFKC.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	space := true // suppresses leading and repeated spaces
	for _, r := range s {
		if unicode.Is(unicode.M, r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if rep, ok := searchLetters[r]; ok {
			if rep != "" {
				b.WriteString(rep)
				space = false
			}
			continue
		}
		switch {
		case r >= '٠' && r <= '٩':
			b.WriteByte(byte('0' + r - '٠'))
			space = false
		case r >= '۰' && r <= '۹':
			b.WriteByte(byte('0' + r - '۰'))
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}
