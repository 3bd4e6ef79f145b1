package collection

// Wilaya is an Algerian province. Code is its official number, which is
// also the first two digits of its postal codes and vehicle plates.
type Wilaya struct {
	Code   int    `json:"code"`
	NameFR string `json:"name_fr"`
	NameAR string `json:"name_ar"`
	// Since is the first table version that lists the wilaya. The oldest
	// table kept is 2019, so wilayas 1–48 (from 1984) also say "2019".
	Since string `json:"since"`
}

// Versions of the wilaya table, named after the year of the law that set them.
const (
	// WilayaTable2019 is law 19-12 of 11 December 2019: 58 wilayas, the ten
	// new ones (49–58) numbered by the presidential decree of March 2021.
	WilayaTable2019 = "2019"
	// WilayaTable2025 adds the eleven wilayas approved by the Council of
	// Ministers on 16 November 2025: 69 wilayas.
	WilayaTable2025 = "2025"
)

// CurrentWilayaTable is the table that validation uses. Stored records keep
// the code they were given; a code never changes meaning between versions,
// a new version only appends codes.
const CurrentWilayaTable = WilayaTable2025

// wilayas is in code order, each version a prefix of the next, so a table
// version is a slice of it and a code is its index plus one.
var wilayas = [...]Wilaya{
	{1, "Adrar", "أدرار", WilayaTable2019},
	{2, "Chlef", "الشلف", WilayaTable2019},
	{3, "Laghouat", "الأغواط", WilayaTable2019},
	{4, "Oum El Bouaghi", "أم البواقي", WilayaTable2019},
	{5, "Batna", "باتنة", WilayaTable2019},
	{6, "Béjaïa", "بجاية", WilayaTable2019},
	{7, "Biskra", "بسكرة", WilayaTable2019},
	{8, "Béchar", "بشار", WilayaTable2019},
	{9, "Blida", "البليدة", WilayaTable2019},
	{10, "Bouira", "البويرة", WilayaTable2019},
	{11, "Tamanrasset", "تمنراست", WilayaTable2019},
	{12, "Tébessa", "تبسة", WilayaTable2019},
	{13, "Tlemcen", "تلمسان", WilayaTable2019},
	{14, "Tiaret", "تيارت", WilayaTable2019},
	{15, "Tizi Ouzou", "تيزي وزو", WilayaTable2019},
	{16, "Alger", "الجزائر", WilayaTable2019},
	{17, "Djelfa", "الجلفة", WilayaTable2019},
	{18, "Jijel", "جيجل", WilayaTable2019},
	{19, "Sétif", "سطيف", WilayaTable2019},
	{20, "Saïda", "سعيدة", WilayaTable2019},
	{21, "Skikda", "سكيكدة", WilayaTable2019},
	{22, "Sidi Bel Abbès", "سيدي بلعباس", WilayaTable2019},
	{23, "Annaba", "عنابة", WilayaTable2019},
	{24, "Guelma", "قالمة", WilayaTable2019},
	{25, "Constantine", "قسنطينة", WilayaTable2019},
	{26, "Médéa", "المدية", WilayaTable2019},
	{27, "Mostaganem", "مستغانم", WilayaTable2019},
	{28, "M'Sila", "المسيلة", WilayaTable2019},
	{29, "Mascara", "معسكر", WilayaTable2019},
	{30, "Ouargla", "ورقلة", WilayaTable2019},
	{31, "Oran", "وهران", WilayaTable2019},
	{32, "El Bayadh", "البيض", WilayaTable2019},
	{33, "Illizi", "إليزي", WilayaTable2019},
	{34, "Bordj Bou Arréridj", "برج بوعريريج", WilayaTable2019},
	{35, "Boumerdès", "بومرداس", WilayaTable2019},
	{36, "El Tarf", "الطارف", WilayaTable2019},
	{37, "Tindouf", "تندوف", WilayaTable2019},
	{38, "Tissemsilt", "تيسمسيلت", WilayaTable2019},
	{39, "El Oued", "الوادي", WilayaTable2019},
	{40, "Khenchela", "خنشلة", WilayaTable2019},
	{41, "Souk Ahras", "سوق أهراس", WilayaTable2019},
	{42, "Tipaza", "تيبازة", WilayaTable2019},
	{43, "Mila", "ميلة", WilayaTable2019},
	{44, "Aïn Defla", "عين الدفلى", WilayaTable2019},
	{45, "Naâma", "النعامة", WilayaTable2019},
	{46, "Aïn Témouchent", "عين تموشنت", WilayaTable2019},
	{47, "Ghardaïa", "غرداية", WilayaTable2019},
	{48, "Relizane", "غليزان", WilayaTable2019},
	// Created by law 19-12 (2019); numbers from the presidential decree
	// published in the Journal officiel in March 2021.
	{49, "Timimoun", "تيميمون", WilayaTable2019},
	{50, "Bordj Badji Mokhtar", "برج باجي مختار", WilayaTable2019},
	{51, "Ouled Djellal", "أولاد جلال", WilayaTable2019},
	{52, "Béni Abbès", "بني عباس", WilayaTable2019},
	{53, "In Salah", "عين صالح", WilayaTable2019},
	{54, "In Guezzam", "عين قزام", WilayaTable2019},
	{55, "Touggourt", "تقرت", WilayaTable2019},
	{56, "Djanet", "جانت", WilayaTable2019},
	{57, "El M'Ghaier", "المغير", WilayaTable2019},
	{58, "El Meniaa", "المنيعة", WilayaTable2019},
	// The 2025 reform. HAZARD: the numbering 59–69 below is the one reported
	// in the press in November 2025 (quoting a member of parliament), as the
	// best known order of the law's annex; it has not been checked against
	// the Journal officiel. Check it before production: once debts are
	// recorded under these codes, renumbering means migrating data.
	{59, "Aflou", "أفلو", WilayaTable2025},
	{60, "El Abiodh Sidi Cheikh", "الأبيض سيدي الشيخ", WilayaTable2025},
	{61, "El Aricha", "العريشة", WilayaTable2025},
	{62, "El Kantara", "القنطرة", WilayaTable2025},
	{63, "Barika", "بريكة", WilayaTable2025},
	{64, "Bou Saâda", "بوسعادة", WilayaTable2025},
	{65, "Bir El Ater", "بئر العاتر", WilayaTable2025},
	{66, "Ksar El Boukhari", "قصر البخاري", WilayaTable2025},
	{67, "Ksar Chellala", "قصر الشلالة", WilayaTable2025},
	{68, "Aïn Oussara", "عين وسارة", WilayaTable2025},
	{69, "Messaad", "مسعد", WilayaTable2025},
}

// wilayaTableSizes gives each version's number of wilayas.
var wilayaTableSizes = map[string]int{
	WilayaTable2019: 58,
	WilayaTable2025: 69,
}

// WilayaTableVersions lists the known table versions, oldest first.
func WilayaTableVersions() []string {
	return []string{WilayaTable2019, WilayaTable2025}
}

// WilayaTable returns the wilayas of a table version in code order. The
// slice is a copy: callers may keep or change it.
func WilayaTable(version string) ([]Wilaya, bool) {
	n, ok := wilayaTableSizes[version]
	if !ok {
		return nil, false
	}
	return append([]Wilaya(nil), wilayas[:n]...), true
}

// Wilayas returns the current table in code order (a copy).
func Wilayas() []Wilaya {
	t, _ := WilayaTable(CurrentWilayaTable)
	return t
}

// WilayaByCode finds a wilaya in the current table.
func WilayaByCode(code int) (Wilaya, bool) {
	if code < 1 || code > MaxWilayaCode() {
		return Wilaya{}, false
	}
	return wilayas[code-1], true
}

// MaxWilayaCode is the highest code of the current table; codes run
// contiguously from 1.
func MaxWilayaCode() int { return wilayaTableSizes[CurrentWilayaTable] }
