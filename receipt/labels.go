package receipt

// labels is the text of a receipt in one language.
type labels struct {
	title          string
	number         string // followed by the receipt number
	amountPaid     string
	creditor       string
	debtor         string
	debtorRef      string
	debt           string
	externalRef    string
	valueDate      string
	recordedAt     string
	algiersTime    string // after the recording time
	method         string
	reference      string
	balance        string
	verification   string
	verifyHint     string // before the verification address
	verifyHintNoQR string // when there is no address
	reversed       string // under the bilingual stamp
	reason         string // a format for the reversal reason
	footer         string
	currency       string
	methods        map[string]string
}

// reversedStamp marks a reversed payment in both languages, whatever the
// receipt's language.
const reversedStamp = "ANNULÉ / ملغى"

// Header lines: the agency's name in French and Arabic, on every receipt.
const (
	agencyLatin  = "ADC — Agence de recouvrement"
	agencyArabic = "وكالة التحصيل"
)

var allLabels = map[string]*labels{
	"fr": {
		title:          "Reçu de paiement",
		number:         "Reçu n°",
		amountPaid:     "Montant payé",
		creditor:       "Créancier",
		debtor:         "Débiteur",
		debtorRef:      "Référence débiteur",
		debt:           "Dossier",
		externalRef:    "Référence du créancier",
		valueDate:      "Date de valeur",
		recordedAt:     "Enregistré le",
		algiersTime:    "(heure d'Alger)",
		method:         "Mode de paiement",
		reference:      "Référence du paiement",
		balance:        "Reste dû après ce paiement",
		verification:   "Code de vérification",
		verifyHint:     "Scannez le code QR ou saisissez ce code sur :",
		verifyHintNoQR: "Communiquez ce code à ADC pour vérifier ce reçu.",
		reversed:       "Ce paiement a été annulé : il ne réduit pas la dette.",
		reason:         "Motif : %s",
		footer:         "Reçu émis par ADC pour le compte du créancier. Conservez-le.",
		currency:       "DA",
		methods: map[string]string{
			"cash":          "Espèces",
			"cheque":        "Chèque",
			"bank_transfer": "Virement bancaire",
			"ccp":           "Virement CCP (Algérie Poste)",
			"baridimob":     "BaridiMob (Algérie Poste)",
			"cib":           "Carte CIB",
			"edahabia":      "Carte Edahabia (Algérie Poste)",
			"other":         "Autre",
		},
	},
	"ar": {
		title:          "إيصال تسديد",
		number:         "إيصال رقم",
		amountPaid:     "المبلغ المدفوع",
		creditor:       "الدائن",
		debtor:         "المدين",
		debtorRef:      "مرجع المدين",
		debt:           "الملف",
		externalRef:    "مرجع الدائن",
		valueDate:      "تاريخ القيمة",
		recordedAt:     "تاريخ التسجيل",
		algiersTime:    "(بتوقيت الجزائر)",
		method:         "طريقة الدفع",
		reference:      "مرجع الدفع",
		balance:        "المبلغ المتبقي بعد هذا التسديد",
		verification:   "رمز التحقق",
		verifyHint:     "امسح رمز QR أو أدخل هذا الرمز على:",
		verifyHintNoQR: "قدّم هذا الرمز إلى الوكالة للتحقق من هذا الإيصال.",
		reversed:       "تم إلغاء هذا التسديد: لا يُخصم من الدين.",
		reason:         "السبب: %s",
		footer:         "إيصال صادر عن وكالة التحصيل لحساب الدائن. يرجى الاحتفاظ به.",
		currency:       "د.ج",
		methods: map[string]string{
			"cash":          "نقدًا",
			"cheque":        "صك",
			"bank_transfer": "تحويل بنكي",
			"ccp":           "تحويل بريدي (CCP)",
			"baridimob":     "بريدي موب (BaridiMob)",
			"cib":           "بطاقة CIB",
			"edahabia":      "البطاقة الذهبية (Edahabia)",
			"other":         "أخرى",
		},
	},
	"en": {
		title:          "Payment receipt",
		number:         "Receipt no.",
		amountPaid:     "Amount paid",
		creditor:       "Creditor",
		debtor:         "Debtor",
		debtorRef:      "Debtor reference",
		debt:           "Case file",
		externalRef:    "Creditor's reference",
		valueDate:      "Value date",
		recordedAt:     "Recorded on",
		algiersTime:    "(Algiers time)",
		method:         "Payment method",
		reference:      "Payment reference",
		balance:        "Balance due after this payment",
		verification:   "Verification code",
		verifyHint:     "Scan the QR code or enter this code at:",
		verifyHintNoQR: "Give this code to ADC to verify this receipt.",
		reversed:       "This payment was reversed: it does not reduce the debt.",
		reason:         "Reason: %s",
		footer:         "Receipt issued by ADC on behalf of the creditor. Please keep it.",
		currency:       "DA",
		methods: map[string]string{
			"cash":          "Cash",
			"cheque":        "Cheque",
			"bank_transfer": "Bank transfer",
			"ccp":           "CCP transfer (Algérie Poste)",
			"baridimob":     "BaridiMob (Algérie Poste)",
			"cib":           "CIB card",
			"edahabia":      "Edahabia card (Algérie Poste)",
			"other":         "Other",
		},
	},
}

// methodName returns a payment method in words; an unknown method shows as
// stored.
func (l *labels) methodName(method string) string {
	if s, ok := l.methods[method]; ok {
		return s
	}
	return method
}
