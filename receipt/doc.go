// Package receipt prints payment receipts as PDF: every accepted payment can
// be printed, in French, Arabic or English, with a verification code that
// proves the receipt genuine.
//
// [Render] draws one A5 page, or one A4 page when long names do not fit: the
// agency's header in French and Arabic, the receipt number (the payment id),
// the amount in the French convention ("12 500,00 DA", integer arithmetic
// only), the case file, creditor and debtor, the value and recording dates
// (Africa/Algiers time), the method in words, the balance left, and the
// verification code beside a QR code of the address where it can be
// checked. A reversed payment is stamped "ANNULÉ / ملغى" above the amount
// and across the page. An Arabic receipt is laid out right to left.
//
// Names may be written in Arabic script. Text is shaped with go-text's port
// of HarfBuzz (contextual letter forms, lam-alef ligatures, marks), ordered
// by the Unicode bidi algorithm, and drawn as glyph ids of embedded,
// subsetted Noto fonts (fonts/README.md); a ToUnicode map lets readers
// extract, search and copy the letters, not presentation forms. The package
// is pure: no clock, no randomness, no I/O, so the same receipt always gives
// the same bytes.
//
// [VerificationCode] derives the printed code from a secret by HMAC-SHA-256
// over the payment id, amount and value date; [Verify] checks a code typed
// back, in constant time. Whoever alters one of those fields on a printed
// receipt cannot produce the matching code without the secret.
package receipt
