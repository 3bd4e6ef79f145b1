package access_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"image/png"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/access"
)

// rfcSecret is the SHA-1 seed of RFC 6238 appendix B, "12345678901234567890",
// in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// oathtool returns the TOTP code of secret at instant at, computed by
// oathtool (Debian package oathtool), an implementation independent of
// ours and of pquerna/otp. The tests need it: they fail, not skip, without it.
func oathtool(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatalf("oathtool is required by the TOTP tests (apt-get install oathtool): %v", err)
	}
	out, err := exec.Command(path, "--totp", "-b", "-N", "@"+strconv.FormatInt(at.Unix(), 10), secret).Output()
	if err != nil {
		t.Fatalf("oathtool at %d: %v", at.Unix(), err)
	}
	code := strings.TrimSpace(string(out))
	if len(code) != 6 {
		t.Fatalf("oathtool printed %q, want six digits", out)
	}
	return code
}

func TestVerifyTOTPAgainstRFC6238Vectors(t *testing.T) {
	t.Parallel()
	// RFC 6238 appendix B, SHA-1, truncated to six digits.
	vectors := map[int64]string{
		59:          "287082",
		1111111109:  "081804",
		1111111111:  "050471",
		1234567890:  "005924",
		2000000000:  "279037",
		20000000000: "353130",
	}
	for unix, code := range vectors {
		now := time.Unix(unix, 0)
		if got := oathtool(t, rfcSecret, now); got != code {
			t.Fatalf("oathtool at %d = %s, RFC 6238 says %s", unix, got, code)
		}
		step, err := access.VerifyTOTP(rfcSecret, code, now, 0)
		if err != nil || step != unix/30 {
			t.Errorf("VerifyTOTP(RFC vector at %d) = %d, %v; want %d, nil", unix, step, err, unix/30)
		}
	}
}

func TestVerifyTOTPWindowAndReplay(t *testing.T) {
	t.Parallel()
	// Instants at the start, middle and end of a step, where off-by-one
	// errors in the step arithmetic would show.
	for _, unix := range []int64{1_750_000_020, 1_750_000_035, 1_750_000_049, 1_800_000_000} {
		now := time.Unix(unix, 0)
		cur := unix / 30
		at := func(d time.Duration) string { return oathtool(t, rfcSecret, now.Add(d)) }

		tests := []struct {
			name     string
			code     string
			lastStep int64
			wantStep int64
			wantErr  error
		}{
			{"now", at(0), 0, cur, nil},
			{"now, replayed", at(0), cur, 0, access.ErrTOTPReplayed},
			{"now, after a later step was used", at(0), cur + 1, 0, access.ErrTOTPReplayed},
			{"previous step (clock behind)", at(-30 * time.Second), 0, cur - 1, nil},
			{"next step (clock ahead)", at(30 * time.Second), 0, cur + 1, nil},
			{"two steps back", at(-60 * time.Second), 0, 0, access.ErrTOTPInvalid},
			{"two steps ahead", at(60 * time.Second), 0, 0, access.ErrTOTPInvalid},
			{"an hour ago", at(-time.Hour), 0, 0, access.ErrTOTPInvalid},
			{"next step after now was used", at(30 * time.Second), cur, cur + 1, nil},
			{"previous step after now was used", at(-30 * time.Second), cur, 0, access.ErrTOTPReplayed},
			{"now after the previous step was used", at(0), cur - 1, cur, nil},
			{"spaces around", " " + at(0) + "\t", 0, cur, nil},
			{"space in the middle, as apps show it", at(0)[:3] + " " + at(0)[3:], 0, cur, nil},
		}
		for _, tt := range tests {
			step, err := access.VerifyTOTP(rfcSecret, tt.code, now, tt.lastStep)
			if step != tt.wantStep || !errors.Is(err, tt.wantErr) {
				t.Errorf("at %d, %s: VerifyTOTP(%q, lastStep %d) = %d, %v; want %d, %v",
					unix, tt.name, tt.code, tt.lastStep, step, err, tt.wantStep, tt.wantErr)
			}
		}
	}
}

// TestVerifyTOTPLogin follows one account through a few logins, each storing
// the step the previous one returned, as the API does.
func TestVerifyTOTPLogin(t *testing.T) {
	t.Parallel()
	key, err := access.NewTOTPKey("Tahsil", "agent@adc.dz")
	if err != nil {
		t.Fatal(err)
	}
	secret := key.Secret()
	now := time.Unix(1_760_000_000, 0)
	var last int64 // enrolment: no step used yet

	code := oathtool(t, secret, now)
	step, err := access.VerifyTOTP(secret, code, now, last)
	if err != nil {
		t.Fatalf("first login: %v", err)
	}
	last = step

	if _, err := access.VerifyTOTP(secret, code, now.Add(10*time.Second), last); !errors.Is(err, access.ErrTOTPReplayed) {
		t.Fatalf("same code 10 s later: %v, want ErrTOTPReplayed", err)
	}

	later := now.Add(30 * time.Second)
	step, err = access.VerifyTOTP(secret, oathtool(t, secret, later), later, last)
	if err != nil || step != last+1 {
		t.Fatalf("next step's code: %d, %v; want %d", step, err, last+1)
	}
	last = step

	tomorrow := now.Add(24 * time.Hour)
	if _, err := access.VerifyTOTP(secret, oathtool(t, secret, tomorrow), tomorrow, last); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}

func TestVerifyTOTPRefusesMalformedCodes(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_750_000_000, 0)
	good := oathtool(t, rfcSecret, now)
	for _, code := range []string{
		"", "      ", "12345", "1234567", good + "0", "0" + good,
		"12a456", "12-456", "+12345", "-12345", "１２３４５６", // full-width digits
		good[:5] + "\x00", "0x1234",
	} {
		if step, err := access.VerifyTOTP(rfcSecret, code, now, 0); !errors.Is(err, access.ErrTOTPInvalid) || step != 0 {
			t.Errorf("VerifyTOTP(%q) = %d, %v; want ErrTOTPInvalid", code, step, err)
		}
	}
}

func TestVerifyTOTPBadSecretIsAServerFault(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_750_000_000, 0)
	// 15 bytes, under RFC 4226's 128 bits; the code is one that would match.
	const short = "GEZDGNBVGY3TQOJQGEZDGNBV"
	tests := []struct{ name, secret, code string }{
		{"not base32", "not base32!", "123456"},
		{"empty", "", "123456"},
		{"short", short, oathtool(t, short, now)},
	}
	for _, tt := range tests {
		_, err := access.VerifyTOTP(tt.secret, tt.code, now, 0)
		if err == nil || errors.Is(err, access.ErrTOTPInvalid) || errors.Is(err, access.ErrTOTPReplayed) {
			t.Errorf("%s secret: VerifyTOTP = %v, want an error that is not the user's", tt.name, err)
		}
	}
	// Lower case, as some tools write secrets, is accepted.
	if _, err := access.VerifyTOTP(strings.ToLower(rfcSecret), oathtool(t, rfcSecret, now), now, 0); err != nil {
		t.Errorf("lower-case secret: %v", err)
	}
}

func TestNewTOTPKey(t *testing.T) {
	t.Parallel()
	key, err := access.NewTOTPKey("Tahsil", "creditor@example.dz")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key.Secret())
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %q: %d bytes, %v; want 160 bits of base32", key.Secret(), len(raw), err)
	}
	other, err := access.NewTOTPKey("Tahsil", "creditor@example.dz")
	if err != nil {
		t.Fatal(err)
	}
	if other.Secret() == key.Secret() {
		t.Fatal("two keys share a secret")
	}
	u, err := url.Parse(key.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("issuer") != "Tahsil" ||
		q.Get("secret") != key.Secret() || q.Get("algorithm") != "SHA1" ||
		q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Errorf("otpauth URI %q: want totp, issuer Tahsil, the secret, SHA1, 6 digits, 30 s", key.URL())
	}
	if key.AccountName() != "creditor@example.dz" {
		t.Errorf("account name %q", key.AccountName())
	}
	for _, bad := range [][2]string{{"", "a@b.dz"}, {"Tahsil", ""}} {
		if _, err := access.NewTOTPKey(bad[0], bad[1]); err == nil {
			t.Errorf("NewTOTPKey(%q, %q) succeeded", bad[0], bad[1])
		}
	}
}

func TestTOTPQRPNG(t *testing.T) {
	t.Parallel()
	key, err := access.NewTOTPKey("Tahsil", "debtor@example.dz")
	if err != nil {
		t.Fatal(err)
	}
	b, err := access.TOTPQRPNG(key, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds(); got.Dx() != 256 || got.Dy() != 256 {
		t.Errorf("image is %v, want 256×256", got)
	}
	for _, size := range []int{0, -1, 10, 100000} {
		if _, err := access.TOTPQRPNG(key, size); err == nil {
			t.Errorf("TOTPQRPNG(size %d) succeeded", size)
		}
	}
}
