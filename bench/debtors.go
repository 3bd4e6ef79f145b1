package bench

import (
	"encoding/json"
	"fmt"

	"github.com/adc-dz/tahsil/collection"
)

// Name parts of the generated debtors, in the two scripts Tahsil accepts.
var (
	arabicFirst = []string{"محمد", "أحمد", "عبد القادر", "يوسف", "فاطمة", "خديجة", "أمينة", "سعاد", "كريم", "نسيمة",
		"رشيد", "سليمة", "مراد", "ليلى", "إبراهيم", "زهرة", "عمر", "مريم", "بلال", "حورية"}
	arabicLast = []string{"بن علي", "بوزيد", "حمادي", "سعيدي", "مسعودي", "بلقاسم", "زروقي", "عمراني", "بوعلام", "شريف",
		"قاسمي", "بن يوسف", "مزيان", "طالبي", "حداد", "بن عيسى", "العربي", "بوضياف"}
	latinFirst = []string{"Mohamed", "Ahmed", "Abdelkader", "Youcef", "Fatima", "Khadidja", "Amina", "Souad", "Karim", "Nassima",
		"Rachid", "Salima", "Mourad", "Leïla", "Brahim", "Zohra", "Omar", "Meriem", "Bilal", "Houria"}
	latinLast = []string{"Benali", "Bouzid", "Hamadi", "Saïdi", "Messaoudi", "Belkacem", "Zerrouki", "Amrani", "Boualem", "Cherif",
		"Kacemi", "Benyoucef", "Meziane", "Taleb", "Haddad", "Benaïssa", "Larbi", "Boudiaf"}
	arabicPlaces = []string{"حي 500 مسكن، عمارة 12، باب الزوار", "شارع العربي بن مهيدي، رقم 24، وهران", "حي النصر، قسنطينة",
		"تعاونية الأمل، رقم 7، سطيف"}
	latinPlaces = []string{"Cité 1200 logements, bât. 5, Bab Ezzouar", "12 rue Didouche Mourad, Alger-Centre",
		"Lotissement El Feth, n° 33, Blida", "Cité des 400 logements, Tizi Ouzou"}
)

// Debtor returns the i-th generated debtor: a person with a unique NIN
// (18 digits), one or two unique mobile numbers, a name in Arabic or Latin
// script, and, for some, an e-mail and an address. Different i give
// different NINs and phones for every i below 10^8.
func Debtor(i int64) collection.DebtorInput {
	k := uint64(i)
	in := collection.DebtorInput{
		Kind:   collection.DebtorPerson,
		NIN:    fmt.Sprintf("1%02d%015d", 50+k%50, k),
		Wilaya: int(1 + k%58),
	}
	if k%2 == 0 {
		in.FullName = arabicFirst[k%uint64(len(arabicFirst))] + " " + arabicLast[(k/7)%uint64(len(arabicLast))]
		in.Language = "ar"
	} else {
		in.FullName = latinFirst[k%uint64(len(latinFirst))] + " " + latinLast[(k/7)%uint64(len(latinLast))]
		in.Language = "fr"
		if k%5 == 0 {
			in.Email = fmt.Sprintf("%s.%d@example.dz", []string{"contact", "debiteur", "client"}[k%3], k)
		}
	}
	in.Phones = []string{phone(2 * k)}
	if k%3 == 0 {
		in.Phones = append(in.Phones, phone(2*k+1))
	}
	if k%4 != 3 {
		if in.Language == "ar" {
			in.Address = arabicPlaces[k%uint64(len(arabicPlaces))]
		} else {
			in.Address = latinPlaces[k%uint64(len(latinPlaces))]
		}
	}
	return in
}

// phone returns the n-th mobile number: 05, 06 or 07 and eight digits,
// distinct for every n below 3×10^8.
func phone(n uint64) string {
	return fmt.Sprintf("0%d%08d", 5+n%3, (n/3)%100_000_000)
}

// DebtorBodies returns the JSON bodies of debtors start … start+n-1, each
// checked with collection.DebtorInput.Validate so that no request of the
// benchmark fails for its data.
func DebtorBodies(start, n int64) ([][]byte, error) {
	out := make([][]byte, n)
	for j := range n {
		in := Debtor(start + j)
		if _, _, err := in.Validate(); err != nil {
			return nil, fmt.Errorf("generated debtor %d is invalid: %w", start+j, err)
		}
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		out[j] = b
	}
	return out, nil
}

// refAlphabet is Crockford's base 32, as the API's references use.
const refAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Ref returns a short reference ("D-7KQ2M9") unique for every i below 2^30:
// i is scrambled by an odd multiplier modulo 2^30, a bijection.
func Ref(i int64) string {
	v := (uint64(i) * 0x9E3779B1) & (1<<30 - 1)
	b := []byte("D-000000")
	for p := 7; p >= 2; p-- {
		b[p] = refAlphabet[v%32]
		v /= 32
	}
	return string(b)
}
