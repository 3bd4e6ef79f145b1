package api

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/adc-dz/tahsil/collection"
)

func TestDocumentName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300)
	for _, tc := range []struct{ given, mediaType, want string }{
		{"Contrat de vente.pdf", collection.MediaTypePDF, "Contrat de vente.pdf"},
		{`C:\Users\Karim\Documents\facture.pdf`, collection.MediaTypePDF, "facture.pdf"},
		{"../../etc/passwd", collection.MediaTypePDF, "passwd"},
		{"  deux   espaces\tet\nligne.png ", collection.MediaTypePNG, "deux espaces et ligne.png"},
		{"facture\u202Efdp.exe", collection.MediaTypePDF, "facturefdp.exe"},
		{"nul\x00byte.jpg", collection.MediaTypeJPEG, "nulbyte.jpg"},
		{"bad\xffutf8.pdf", collection.MediaTypePDF, "badutf8.pdf"},
		{"", collection.MediaTypeJPEG, "document.jpg"},
		{"..", collection.MediaTypePNG, "document.png"},
		{long + ".pdf", collection.MediaTypePDF, strings.Repeat("é", collection.MaxDocumentNameLength-4) + ".pdf"},
	} {
		got := documentName(tc.given, tc.mediaType)
		if got != tc.want {
			t.Errorf("documentName(%q) = %q, want %q", tc.given, got, tc.want)
		}
		if utf8.RuneCountInString(got) > collection.MaxDocumentNameLength {
			t.Errorf("documentName(%q) has %d runes", tc.given, utf8.RuneCountInString(got))
		}
	}
}

func TestDocumentDownloadName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, mediaType, want string }{
		{"a.pdf", collection.MediaTypePDF, "a.pdf"},
		{"a.PDF", collection.MediaTypePDF, "a.PDF"},
		{"a.jpeg", collection.MediaTypeJPEG, "a.jpeg"},
		{"a.pdf", collection.MediaTypePNG, "a.pdf.png"},
		{"a.html", collection.MediaTypeJPEG, "a.html.jpg"},
		{"scan", collection.MediaTypePDF, "scan.pdf"},
	} {
		if got := downloadName(tc.name, tc.mediaType); got != tc.want {
			t.Errorf("downloadName(%q, %s) = %q, want %q", tc.name, tc.mediaType, got, tc.want)
		}
	}
	for name, want := range map[string]string{
		"facture 12.pdf":   `attachment; filename="facture 12.pdf"`,
		`a"b;c\d%e.pdf`:    `attachment; filename="a_b_c_d_e.pdf"; filename*=UTF-8''a%22b%3Bc%5Cd%25e.pdf`,
		"reçu (1).png":     `attachment; filename="re_u (1).png"; filename*=UTF-8''re%C3%A7u%20%281%29.png`,
		"عقد.pdf":          `attachment; filename="___.pdf"; filename*=UTF-8''%D8%B9%D9%82%D8%AF.pdf`,
		"it's+mine&co.pdf": `attachment; filename="it's+mine&co.pdf"`,
	} {
		if got := contentDisposition(name); got != want {
			t.Errorf("contentDisposition(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestDocumentSniff(t *testing.T) {
	t.Parallel()
	for head, want := range map[string]string{
		"%PDF-1.7\n%âãÏÓ":                     collection.MediaTypePDF,
		"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR": collection.MediaTypePNG,
		"\xff\xd8\xff\xe0\x00\x10JFIF\x00":    collection.MediaTypeJPEG,
		"%PDF":                                "", // too short to be the signature
		" %PDF-1.7":                           "",
		"\x89PNG\r\n":                         "",
		"GIF89a":                              "",
		"<html>%PDF-1.7":                      "",
		"":                                    "",
		"\xef\xbb\xbf%PDF-1.7":                "", // a BOM makes it text
	} {
		if got := sniffDocument([]byte(head)); got != want {
			t.Errorf("sniffDocument(%q) = %q, want %q", head, got, want)
		}
	}
}

func TestDocumentCapReader(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 4095, 4096} {
		r := &capReader{r: bytes.NewReader(make([]byte, n)), left: 4096}
		if b, err := io.ReadAll(r); err != nil || len(b) != n {
			t.Errorf("%d bytes under a cap of 4096: %d, %v", n, len(b), err)
		}
	}
	for _, n := range []int{4097, 100_000} {
		r := &capReader{r: bytes.NewReader(make([]byte, n)), left: 4096}
		b, err := io.ReadAll(r)
		if !errors.Is(err, errDocumentTooLarge) || len(b) > 4097 {
			t.Errorf("%d bytes under a cap of 4096: %d bytes, %v", n, len(b), err)
		}
	}
}
