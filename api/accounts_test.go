package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/adc-dz/tahsil/internal/apptest"
)

// findRegistration returns the registration of email among those listed
// with query (e.g. "status=pending"), and whether it is there.
func findRegistration(t testing.TB, c *client, query, email string) (accountRow, bool) {
	t.Helper()
	r := c.get("/api/v1/registrations?limit=200&" + query)
	want(t, r, http.StatusOK)
	var p page[accountRow]
	r.decode(t, &p)
	for _, acc := range p.Items {
		if acc.Email == email {
			return acc, true
		}
	}
	return accountRow{}, false
}

// signUp enrols and activates a first sign-in with oathtool codes and
// returns the session.
func (a *authApp) signUp(t testing.TB, email, password string) sessionAnswer {
	t.Helper()
	la := a.mustLogin(t, email, password)
	if !la.EnrollmentRequired {
		t.Fatalf("%s: enrollment_required is false on a first sign-in", email)
	}
	r := a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": la.MFAToken})
	want(t, r, http.StatusOK)
	var en enrolAnswer
	r.decode(t, &en)
	return session(t, a.anon(t).post("/api/v1/auth/mfa/activate",
		obj{"mfa_token": la.MFAToken, "code": oathtoolCode(t, en.Secret, a.clock.Now())}))
}

// TestRegistrations: a visitor registers as a creditor or a debtor; staff
// approve it, linked to an existing record, or reject it; only an approved
// account signs in, scoped to its record.
func TestRegistrations(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})

	t.Run("password policy", func(t *testing.T) {
		for name, pw := range map[string]string{
			"11 characters":  "Kx7#mQ2v-ab",
			"129 characters": strings.Repeat("kx7#mQ2v", 16) + "z",
			"common":         "1qaz2wsx3edc",
			"common, upper":  "1QAZ2WSX3EDC",
			"empty":          "",
		} {
			for _, kind := range []string{"creditor", "debtor"} {
				r := a.anon(t).post("/api/v1/registrations", with(registration(kind), obj{"password": pw}))
				p := wantSlug(t, r, http.StatusUnprocessableEntity, "validation", "password")
				if len(p.Errors) != 1 {
					t.Errorf("%s %s: errors %v, want the password only", kind, name, p.Errors)
				}
			}
		}
		// Twelve characters of any kind pass; 128 too.
		want(t, a.anon(t).post("/api/v1/registrations", with(registration("debtor"), obj{"password": "ééééééééééé1"})), http.StatusAccepted)
		want(t, a.anon(t).post("/api/v1/registrations", with(registration("debtor"), obj{"password": strings.Repeat("kx7#mQ2v", 16)})), http.StatusAccepted)
	})

	t.Run("invalid registrations", func(t *testing.T) {
		for name, tc := range map[string]struct {
			body   obj
			fields []string
		}{
			"no kind":           {with(registration("creditor"), obj{"kind": nil}), []string{"kind"}},
			"staff kind":        {with(registration("creditor"), obj{"kind": "admin"}), []string{"kind"}},
			"creditor, no nif":  {with(registration("creditor"), obj{"nif": nil}), []string{"nif"}},
			"creditor with nin": {with(registration("creditor"), obj{"nin": uniqueNIN()}), []string{"nin"}},
			"debtor, no nin":    {with(registration("debtor"), obj{"nin": nil}), []string{"nin"}},
			"debtor with nif":   {with(registration("debtor"), obj{"nif": uniqueNIF()}), []string{"nif"}},
			"bad e-mail":        {with(registration("debtor"), obj{"email": "not an address"}), []string{"email"}},
			"everything":        {obj{"password": "short"}, []string{"kind", "email", "full_name", "phone", "password"}},
			"unknown field":     {with(registration("debtor"), obj{"role": "admin"}), []string{"role"}},
		} {
			r := a.anon(t).post("/api/v1/registrations", tc.body)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %s", name, r)
				continue
			}
			wantProblem(t, r, http.StatusUnprocessableEntity, tc.fields...)
		}
	})

	t.Run("creditor approved", func(t *testing.T) {
		admin := a.as(t, a.admin)
		reg := registration("creditor")
		email := reg["email"].(string)
		r := a.anon(t).post("/api/v1/registrations", reg)
		want(t, r, http.StatusAccepted)
		var accepted struct{ Status, Message string }
		r.decode(t, &accepted)
		if accepted.Status != "pending" || accepted.Message == "" {
			t.Errorf("answer %s", r.Body)
		}
		p := wantSlug(t, a.login(t, email, apptest.Password), http.StatusForbidden, "account-inactive")
		if !strings.Contains(p.Detail, "waiting for approval") {
			t.Errorf("pending detail %q", p.Detail)
		}
		wantSlug(t, a.login(t, email, "wrong password"), http.StatusUnauthorized, "invalid-credentials")

		acc, ok := findRegistration(t, admin, "status=pending", email)
		if !ok {
			t.Fatalf("%s is not among the pending registrations", email)
		}
		if acc.Kind != "creditor" || acc.Status != "pending" || acc.Role != "" || acc.Declared["nif"] != reg["nif"] ||
			acc.FullName != "Samira Benali" || acc.MFAEnrolled {
			t.Errorf("registration %+v", acc)
		}
		r = admin.get("/api/v1/registrations/" + acc.ID)
		want(t, r, http.StatusOK)
		// Staff check the declared NIF against the record they link.
		cr := admin.createCreditor(with(validCreditor(), obj{"nif": reg["nif"]}))
		other := admin.createCreditor(validCreditor())
		debt := admin.createDebtor(validDebtor())

		approve := "/api/v1/registrations/" + acc.ID + "/approval"
		wantProblem(t, admin.post(approve, obj{"debtor_id": debt.ID}), http.StatusUnprocessableEntity, "debtor_id", "creditor_id")
		wantProblem(t, admin.post(approve, obj{"creditor_id": uuid.NewString()}), http.StatusUnprocessableEntity, "creditor_id")
		wantProblem(t, admin.post(approve, obj{}), http.StatusUnprocessableEntity, "creditor_id")
		// Agents do not manage registrations.
		agent := a.NewStaff(t, "agent")
		wantSlug(t, a.as(t, agent).post(approve, obj{"creditor_id": cr.ID}), http.StatusForbidden, "forbidden")
		wantSlug(t, a.as(t, agent).get("/api/v1/registrations?status=pending"), http.StatusForbidden, "forbidden")

		r = admin.post(approve, obj{"creditor_id": cr.ID})
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if acc.Status != "active" || acc.Role != "creditor" || acc.CreditorID != cr.ID || acc.DebtorID != "" {
			t.Errorf("approved %+v", acc)
		}
		wantSlug(t, admin.post(approve, obj{"creditor_id": cr.ID}), http.StatusConflict, "wrong_status")
		if _, ok := findRegistration(t, admin, "status=pending", email); ok {
			t.Error("the approved registration is still listed as pending")
		}
		if _, ok := findRegistration(t, admin, "status=active", email); !ok {
			t.Error("the approved registration is not listed as active")
		}

		s := a.signUp(t, email, apptest.Password)
		c := a.bearer(t, s.AccessToken)
		if m := c.me(); m.ID != acc.ID || m.Role != "creditor" || m.CreditorID != cr.ID || m.DebtorID != "" {
			t.Errorf("me %+v", m)
		}
		want(t, c.get("/api/v1/creditors/"+cr.ID), http.StatusOK)
		wantSlug(t, c.get("/api/v1/creditors/"+other.ID), http.StatusNotFound, "not-found")
		r = c.get("/api/v1/creditors")
		want(t, r, http.StatusOK)
		var list page[creditor]
		r.decode(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != cr.ID {
			t.Errorf("a creditor lists %d creditors, want only its own", len(list.Items))
		}
		wantSlug(t, c.post("/api/v1/creditors", validCreditor()), http.StatusForbidden, "forbidden")
		wantSlug(t, c.get("/api/v1/registrations"), http.StatusForbidden, "forbidden")
	})

	t.Run("debtor approved", func(t *testing.T) {
		admin := a.as(t, a.admin)
		reg := registration("debtor")
		email := reg["email"].(string)
		want(t, a.anon(t).post("/api/v1/registrations", reg), http.StatusAccepted)
		acc, ok := findRegistration(t, admin, "status=pending", email)
		if !ok {
			t.Fatalf("%s is not pending", email)
		}
		if acc.Kind != "debtor" || acc.Declared["nin"] != reg["nin"] {
			t.Errorf("registration %+v", acc)
		}
		d := admin.createDebtor(with(validDebtor(), obj{"nin": reg["nin"]}))
		other := admin.createDebtor(validDebtor())
		cr := admin.createCreditor(validCreditor())
		approve := "/api/v1/registrations/" + acc.ID + "/approval"
		wantProblem(t, admin.post(approve, obj{"creditor_id": cr.ID}), http.StatusUnprocessableEntity, "creditor_id", "debtor_id")
		r := admin.post(approve, obj{"debtor_id": d.ID})
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if acc.Status != "active" || acc.Role != "debtor" || acc.DebtorID != d.ID || acc.CreditorID != "" {
			t.Errorf("approved %+v", acc)
		}

		s := a.signUp(t, email, apptest.Password)
		c := a.bearer(t, s.AccessToken)
		if m := c.me(); m.Role != "debtor" || m.DebtorID != d.ID {
			t.Errorf("me %+v", m)
		}
		want(t, c.get("/api/v1/debtors/"+d.ID), http.StatusOK)
		wantSlug(t, c.get("/api/v1/debtors/"+other.ID), http.StatusNotFound, "not-found")
		wantSlug(t, c.get("/api/v1/creditors/"+cr.ID), http.StatusForbidden, "forbidden")
	})

	t.Run("rejected", func(t *testing.T) {
		admin := a.as(t, a.admin)
		reg := registration("creditor")
		email := reg["email"].(string)
		want(t, a.anon(t).post("/api/v1/registrations", reg), http.StatusAccepted)
		acc, ok := findRegistration(t, admin, "status=pending", email)
		if !ok {
			t.Fatalf("%s is not pending", email)
		}
		reject := "/api/v1/registrations/" + acc.ID + "/rejection"
		wantProblem(t, admin.post(reject, obj{"reason": ""}), http.StatusUnprocessableEntity, "reason")
		r := admin.post(reject, obj{"reason": "We could not match this NIF to a client of ADC."})
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if acc.Status != "rejected" || acc.StatusReason != "We could not match this NIF to a client of ADC." || acc.Role != "" {
			t.Errorf("rejected %+v", acc)
		}
		p := wantSlug(t, a.login(t, email, apptest.Password), http.StatusForbidden, "account-inactive")
		if !strings.Contains(p.Detail, "not approved") {
			t.Errorf("rejected detail %q", p.Detail)
		}
		cr := admin.createCreditor(with(validCreditor(), obj{"nif": reg["nif"]}))
		wantSlug(t, admin.post("/api/v1/registrations/"+acc.ID+"/approval", obj{"creditor_id": cr.ID}), http.StatusConflict, "wrong_status")
		wantSlug(t, admin.post(reject, obj{"reason": "again"}), http.StatusConflict, "wrong_status")
		if _, ok := findRegistration(t, admin, "status=rejected", email); !ok {
			t.Error("not listed as rejected")
		}
		wantSlug(t, a.login(t, email, apptest.Password), http.StatusForbidden, "account-inactive")
		// A staff account is no registration.
		wantSlug(t, admin.get("/api/v1/registrations/"+a.admin.ID), http.StatusNotFound, "not-found")
		wantSlug(t, admin.post("/api/v1/registrations/"+uuid.NewString()+"/rejection", obj{"reason": "x"}), http.StatusNotFound, "not-found")
	})
}

// TestStaffAccounts: an admin creates staff accounts, changes their role,
// resets their MFA; never their own role or status.
func TestStaffAccounts(t *testing.T) {
	t.Parallel()
	a := startAuth(t, apptest.Options{})

	email := "Karima.Staff" + uuid.NewString()[:8] + "@ADC.test"
	body := obj{"email": email, "full_name": "Karima Staff", "phone": "0550123456", "role": "agent", "password": apptest.Password}
	var acc accountRow
	u := &apptest.User{Email: strings.ToLower(email), Password: apptest.Password}

	t.Run("create", func(t *testing.T) {
		admin := a.as(t, a.admin)
		r := admin.post("/api/v1/users", body)
		want(t, r, http.StatusCreated)
		r.decode(t, &acc)
		if got := r.Header.Get("Location"); got != "/api/v1/users/"+acc.ID {
			t.Errorf("Location %q", got)
		}
		if !uuidPattern.MatchString(acc.ID) || acc.Status != "active" || acc.Role != "agent" || acc.Kind != "" ||
			!strings.EqualFold(acc.Email, email) || acc.Phone != "+213550123456" || acc.MFAEnrolled {
			t.Errorf("created %+v", acc)
		}
		u.ID = acc.ID
		r = admin.get("/api/v1/users/" + acc.ID)
		want(t, r, http.StatusOK)
		var got accountRow
		r.decode(t, &got)
		if got.ID != acc.ID || got.Email != acc.Email {
			t.Errorf("read back %+v", got)
		}
	})

	t.Run("refused", func(t *testing.T) {
		admin := a.as(t, a.admin)
		for _, e := range []string{email, strings.ToLower(email), "  " + strings.ToUpper(email) + " "} {
			wantSlug(t, admin.post("/api/v1/users", with(body, obj{"email": e})), http.StatusConflict, "email-taken", "email")
		}
		wantProblem(t, admin.post("/api/v1/users", with(body, obj{"email": "x" + email, "password": "short"})),
			http.StatusUnprocessableEntity, "password")
		wantProblem(t, admin.post("/api/v1/users", with(body, obj{"email": "y" + email, "password": "1qaz2wsx3edc"})),
			http.StatusUnprocessableEntity, "password")
		wantProblem(t, admin.post("/api/v1/users", with(body, obj{"email": "z" + email, "role": "creditor"})),
			http.StatusUnprocessableEntity, "role")
		agent := a.NewStaff(t, "agent")
		wantSlug(t, a.as(t, agent).post("/api/v1/users", with(body, obj{"email": "w" + email})), http.StatusForbidden, "forbidden")
		// The refused e-mails are free: none of them became a login.
		want(t, admin.post("/api/v1/users", with(body, obj{"email": "x" + email})), http.StatusCreated)
	})

	t.Run("sign in and change role", func(t *testing.T) {
		admin := a.as(t, a.admin)
		a.SignIn(t, u)
		c := a.as(t, u)
		wantSlug(t, c.get("/api/v1/audit"), http.StatusForbidden, "forbidden")
		r := admin.get("/api/v1/users/" + u.ID)
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if !acc.MFAEnrolled {
			t.Error("mfa_enrolled is false after the first sign-in")
		}

		role := "/api/v1/users/" + u.ID + "/role"
		r = admin.do(http.MethodPut, role, obj{"role": "auditor"})
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if acc.Role != "auditor" {
			t.Errorf("role %q", acc.Role)
		}
		// The session follows the new role at once.
		if m := c.me(); m.Role != "auditor" {
			t.Errorf("me role %q", m.Role)
		}
		want(t, c.get("/api/v1/audit"), http.StatusOK)
		wantSlug(t, c.post("/api/v1/creditors", validCreditor()), http.StatusForbidden, "forbidden")
		wantProblem(t, admin.do(http.MethodPut, role, obj{"role": "creditor"}), http.StatusUnprocessableEntity, "role")
		wantSlug(t, admin.do(http.MethodPut, role, obj{"role": "auditor"}), http.StatusUnprocessableEntity, "no-change")
		r = admin.get("/api/v1/users?role=auditor&limit=200")
		want(t, r, http.StatusOK)
		var list page[accountRow]
		r.decode(t, &list)
		if !slices.ContainsFunc(list.Items, func(x accountRow) bool { return x.ID == u.ID }) {
			t.Error("the user is not listed among the auditors")
		}
		changes := admin.waitAudit(qs("action", "account.role_changed", "subject", u.ID), 1)
		if d := changes[0].detail(t); d["from"] != "agent" || d["to"] != "auditor" || changes[0].ActorID != a.admin.ID {
			t.Errorf("role change entry %+v", changes[0])
		}
	})

	t.Run("MFA reset", func(t *testing.T) {
		admin := a.as(t, a.admin)
		old := u.Secret
		c := a.as(t, u)
		r := admin.post("/api/v1/users/"+u.ID+"/mfa-reset", obj{"reason": "lost phone"})
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if acc.MFAEnrolled {
			t.Error("mfa_enrolled after the reset")
		}
		wantUnauthenticated(t, c.get("/api/v1/me"))
		wantSlug(t, admin.post("/api/v1/users/"+u.ID+"/mfa-reset", obj{}), http.StatusUnprocessableEntity, "no-change")

		now := a.clock.Add(30 * time.Second)
		la := a.mustLogin(t, u.Email, u.Password)
		if !la.EnrollmentRequired {
			t.Fatal("enrollment_required is false after an MFA reset")
		}
		wantSlug(t, a.verify(t, la.MFAToken, oathtoolCode(t, old, now)), http.StatusConflict, "mfa-not-enrolled")
		r = a.anon(t).post("/api/v1/auth/mfa/enroll", obj{"mfa_token": la.MFAToken})
		want(t, r, http.StatusOK)
		var en enrolAnswer
		r.decode(t, &en)
		if en.Secret == old {
			t.Error("the new secret is the old one")
		}
		// The old device's codes are worthless now.
		if code := oathtoolCode(t, old, now); !slices.Contains(acceptedCodes(t, en.Secret, now), code) {
			wantSlug(t, a.anon(t).post("/api/v1/auth/mfa/activate", obj{"mfa_token": la.MFAToken, "code": code}),
				http.StatusUnauthorized, "invalid-code")
		}
		s := session(t, a.anon(t).post("/api/v1/auth/mfa/activate", obj{"mfa_token": la.MFAToken, "code": oathtoolCode(t, en.Secret, now)}))
		if len(s.RecoveryCodes) != 10 || slices.Contains(s.RecoveryCodes, u.RecoveryCodes[0]) {
			t.Errorf("recovery codes after re-enrolment: %v", s.RecoveryCodes)
		}
		a.bearer(t, s.AccessToken).me()
		r = admin.get("/api/v1/users/" + u.ID)
		want(t, r, http.StatusOK)
		r.decode(t, &acc)
		if !acc.MFAEnrolled {
			t.Error("mfa_enrolled is false after enrolling again")
		}
		// The old recovery codes went with the old device.
		la = a.mustLogin(t, u.Email, u.Password)
		wantSlug(t, a.useRecovery(t, la.MFAToken, u.RecoveryCodes[1]), http.StatusUnauthorized, "invalid-code")
		session(t, a.useRecovery(t, la.MFAToken, s.RecoveryCodes[1]))
	})

	t.Run("not on one's own account", func(t *testing.T) {
		admin := a.as(t, a.admin)
		self := "/api/v1/users/" + a.admin.ID
		wantSlug(t, admin.do(http.MethodPut, self+"/role", obj{"role": "auditor"}), http.StatusConflict, "own-account")
		wantSlug(t, admin.post(self+"/disable", obj{"reason": "testing"}), http.StatusConflict, "own-account")
		m := admin.me()
		if m.Role != "admin" {
			t.Errorf("admin is %q now", m.Role)
		}
		r := admin.get("/api/v1/users/" + a.admin.ID)
		want(t, r, http.StatusOK)
		var self2 accountRow
		r.decode(t, &self2)
		if self2.Status != "active" || self2.Role != "admin" {
			t.Errorf("admin account %+v", self2)
		}
		// Another admin may.
		other := a.NewStaff(t, "admin")
		r = a.as(t, other).do(http.MethodPut, self+"/role", obj{"role": "auditor"})
		want(t, r, http.StatusOK)
		if m := admin.me(); m.Role != "auditor" {
			t.Errorf("re-roled admin is %q", m.Role)
		}
		wantSlug(t, admin.post("/api/v1/users", with(body, obj{"email": "v" + email})), http.StatusForbidden, "forbidden")
		wantSlug(t, admin.get("/api/v1/users/nonsense"), http.StatusNotFound, "not-found")
	})
}
