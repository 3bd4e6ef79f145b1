package collection_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/adc-dz/tahsil/collection"
)

const accountID = "0193a1b2-0000-7000-8000-000000000003"

var (
	sealedAccount = collection.Sealed("sealed account personal part")

	registerCreditorAccount = collection.RegisterAccount{ID: accountID, Kind: collection.RoleCreditor, Personal: sealedAccount}
	registerDebtorAccount   = collection.RegisterAccount{ID: accountID, Kind: collection.RoleDebtor, Personal: sealedAccount}
	createAgent             = collection.CreateAccount{ID: accountID, Role: collection.RoleAgent, Personal: sealedAccount}
	createCreditorAccount   = collection.CreateAccount{ID: accountID, Role: collection.RoleCreditor, CreditorID: creditorID, Personal: sealedAccount}
	createDebtorAccount     = collection.CreateAccount{ID: accountID, Role: collection.RoleDebtor, DebtorID: debtorID, Personal: sealedAccount}

	creditorRegistration = collection.AccountRegistered(registerCreditorAccount)
	debtorRegistration   = collection.AccountRegistered(registerDebtorAccount)
	agentCreated         = collection.AccountCreated(createAgent)
	creditorApproved     = collection.RegistrationApproved{ID: accountID, Role: collection.RoleCreditor, CreditorID: creditorID}
	debtorApproved       = collection.RegistrationApproved{ID: accountID, Role: collection.RoleDebtor, DebtorID: debtorID}
	registrationRejected = collection.RegistrationRejected{ID: accountID, Reason: "the NIF does not match the RC"}
	accountDisabled      = collection.AccountDisabled{ID: accountID, Reason: "left ADC"}
	accountEnabled       = collection.AccountEnabled{ID: accountID}
	mfaEnrolled          = collection.MFAEnrolled{ID: accountID}
	mfaReset             = collection.MFAReset{ID: accountID, Reason: "lost phone"}
	passwordLocked       = collection.AccountLocked{ID: accountID, Factor: collection.FactorPassword,
		Until: time.Date(2025, 3, 1, 9, 15, 0, 0, time.UTC), Failures: 5}
	totpLockedForGood = collection.AccountLocked{ID: accountID, Factor: collection.FactorTOTP, Failures: 10, Permanent: true}
	loginFailed       = collection.LoginFailed{ID: accountID, Factor: collection.FactorPassword, Reason: "bad_password"}
)

func TestAccountDecide(t *testing.T) {
	t.Parallel()
	pending := []collection.Event{creditorRegistration}
	pendingDebtor := []collection.Event{debtorRegistration}
	rejected := []collection.Event{creditorRegistration, registrationRejected}
	agent := []collection.Event{agentCreated}
	creditorAccount := []collection.Event{creditorRegistration, creditorApproved}
	debtorAccount := []collection.Event{collection.AccountCreated(createDebtorAccount)}
	disabled := []collection.Event{agentCreated, accountDisabled}
	reenabled := []collection.Event{agentCreated, accountDisabled, accountEnabled}
	enrolled := []collection.Event{agentCreated, mfaEnrolled}
	enrolledDisabled := []collection.Event{agentCreated, mfaEnrolled, accountDisabled}
	reset := []collection.Event{agentCreated, mfaEnrolled, mfaReset}
	locked := []collection.Event{agentCreated, passwordLocked}
	lockedTwice := []collection.Event{agentCreated, passwordLocked, totpLockedForGood}
	unlocked := []collection.Event{agentCreated, passwordLocked, collection.AccountUnlocked{ID: accountID, Factors: []string{"password"}}}

	withPersonal := func(c collection.Command, p collection.Sealed) collection.Command {
		switch c := c.(type) {
		case collection.RegisterAccount:
			c.Personal = p
			return c
		case collection.CreateAccount:
			c.Personal = p
			return c
		}
		panic("no personal part")
	}
	create := func(role, creditor, debtor string) collection.CreateAccount {
		return collection.CreateAccount{ID: accountID, Role: role, CreditorID: creditor, DebtorID: debtor, Personal: sealedAccount}
	}
	approve := func(creditor, debtor string) collection.ApproveRegistration {
		return collection.ApproveRegistration{ID: accountID, CreditorID: creditor, DebtorID: debtor}
	}
	reject := collection.RejectRegistration{ID: accountID, Reason: "the NIF does not match the RC"}
	changeRole := func(role string) collection.ChangeRole { return collection.ChangeRole{ID: accountID, Role: role} }
	disable := collection.DisableAccount{ID: accountID, Reason: "left ADC"}
	enable := collection.EnableAccount{ID: accountID}
	enrol := collection.EnrollMFA{ID: accountID}
	resetMFA := collection.ResetMFA{ID: accountID, Reason: "lost phone"}
	lockPassword := collection.LockAccount{ID: accountID, Factor: collection.FactorPassword, Until: passwordLocked.Until, Failures: 5}
	lockForGood := collection.LockAccount{ID: accountID, Factor: collection.FactorTOTP, Failures: 10, Permanent: true}
	unlock := collection.UnlockAccount{ID: accountID}
	login := func(outcome, factor, reason string) collection.RecordLogin {
		return collection.RecordLogin{ID: accountID, Outcome: outcome, Factor: factor, Reason: reason}
	}
	failedPassword := login(collection.LoginOutcomeFailed, collection.FactorPassword, "bad_password")
	attempt := collection.NoteRegistrationAttempt{ID: accountID}

	algiers := time.FixedZone("CET", 3600)
	long := strings.Repeat("é", collection.MaxAccountReasonLength)
	tooLong := long + "é"

	// Every command but the two that create an account, on a missing one.
	var notFound []deciderCase
	for _, c := range []collection.Command{
		approve(creditorID, ""), reject, changeRole(collection.RoleAdmin), disable, enable, enrol, resetMFA,
		lockPassword, unlock, failedPassword, attempt,
	} {
		notFound = append(notFound, deciderCase{name: c.CommandType() + " on missing", cmd: c, code: collection.CodeNotFound})
	}

	runDecider(t, collection.AccountAggregate, accountID, append(notFound, []deciderCase{
		// register
		{name: "register a creditor", cmd: registerCreditorAccount, want: []collection.Event{creditorRegistration}},
		{name: "register a debtor expecting version 0", expect: version(0), cmd: registerDebtorAccount,
			want: []collection.Event{debtorRegistration}},
		{name: "register on pending", history: pending, cmd: registerCreditorAccount, code: collection.CodeAlreadyExists},
		{name: "register on rejected", history: rejected, cmd: registerDebtorAccount, code: collection.CodeAlreadyExists},
		{name: "register on a created account", history: agent, cmd: registerCreditorAccount, code: collection.CodeAlreadyExists},
		{name: "register as staff", cmd: collection.RegisterAccount{ID: accountID, Kind: collection.RoleAdmin, Personal: sealedAccount},
			code: collection.CodeInvalid, fields: []string{"kind"}},
		{name: "register with no kind", cmd: collection.RegisterAccount{ID: accountID, Personal: sealedAccount},
			code: collection.CodeInvalid, fields: []string{"kind"}},
		{name: "register with an uppercase id and an unknown kind",
			cmd:  collection.RegisterAccount{ID: strings.ToUpper(accountID), Kind: "Creditor", Personal: sealedAccount},
			code: collection.CodeInvalid, fields: []string{"id", "kind"}},
		{name: "register without personal part", cmd: withPersonal(registerCreditorAccount, nil), code: collection.CodeInvalid},
		{name: "register with an empty personal part", cmd: withPersonal(registerDebtorAccount, collection.Sealed{}), code: collection.CodeInvalid},

		// create
		{name: "create an agent", cmd: createAgent, want: []collection.Event{agentCreated}},
		{name: "create an admin", cmd: create(collection.RoleAdmin, "", ""),
			want: []collection.Event{collection.AccountCreated(create(collection.RoleAdmin, "", ""))}},
		{name: "create an auditor", cmd: create(collection.RoleAuditor, "", ""),
			want: []collection.Event{collection.AccountCreated(create(collection.RoleAuditor, "", ""))}},
		{name: "create a creditor account", cmd: createCreditorAccount,
			want: []collection.Event{collection.AccountCreated(createCreditorAccount)}},
		{name: "create a debtor account", expect: version(0), cmd: createDebtorAccount,
			want: []collection.Event{collection.AccountCreated(createDebtorAccount)}},
		{name: "create on existing", history: agent, cmd: createAgent, code: collection.CodeAlreadyExists},
		{name: "create on pending", history: pending, cmd: createCreditorAccount, code: collection.CodeAlreadyExists},
		{name: "create on existing expecting version 0", history: agent, expect: version(0), cmd: createAgent,
			code: collection.CodeVersionConflict},
		{name: "create with an unknown role", cmd: create("superuser", "", ""), code: collection.CodeInvalid, fields: []string{"role"}},
		{name: "create with no role and a link", cmd: create("", creditorID, ""), code: collection.CodeInvalid, fields: []string{"role"}},
		{name: "create staff linked to a creditor", cmd: create(collection.RoleAgent, creditorID, ""),
			code: collection.CodeInvalid, fields: []string{"creditor_id"}},
		{name: "create staff linked to both", cmd: create(collection.RoleAdmin, creditorID, debtorID),
			code: collection.CodeInvalid, fields: []string{"creditor_id", "debtor_id"}},
		{name: "create a creditor account without its creditor", cmd: create(collection.RoleCreditor, "", ""),
			code: collection.CodeInvalid, fields: []string{"creditor_id"}},
		{name: "create a creditor account linked to a debtor", cmd: create(collection.RoleCreditor, "", debtorID),
			code: collection.CodeInvalid, fields: []string{"creditor_id", "debtor_id"}},
		{name: "create a creditor account linked to both", cmd: create(collection.RoleCreditor, creditorID, debtorID),
			code: collection.CodeInvalid, fields: []string{"debtor_id"}},
		{name: "create a debtor account without its debtor", cmd: create(collection.RoleDebtor, "", ""),
			code: collection.CodeInvalid, fields: []string{"debtor_id"}},
		{name: "create a debtor account linked to a creditor", cmd: create(collection.RoleDebtor, creditorID, debtorID),
			code: collection.CodeInvalid, fields: []string{"creditor_id"}},
		{name: "create a debtor account with a malformed link", cmd: create(collection.RoleDebtor, "", "D-7KQ2M9"),
			code: collection.CodeInvalid, fields: []string{"debtor_id"}},
		{name: "create a creditor account linked to the nil UUID",
			cmd:  create(collection.RoleCreditor, "00000000-0000-0000-0000-000000000000", ""),
			code: collection.CodeInvalid, fields: []string{"creditor_id"}},
		{name: "create with a braced id", cmd: collection.CreateAccount{ID: "{" + accountID[1:35] + "}", Role: collection.RoleAgent, Personal: sealedAccount},
			code: collection.CodeInvalid, fields: []string{"id"}},
		{name: "create with no id", cmd: collection.CreateAccount{Role: collection.RoleAgent, Personal: sealedAccount},
			code: collection.CodeInvalid, fields: []string{"id"}},
		{name: "create without personal part", cmd: withPersonal(createAgent, nil), code: collection.CodeInvalid},

		// approve
		{name: "approve a creditor registration", history: pending, cmd: approve(creditorID, ""),
			want: []collection.Event{creditorApproved}},
		{name: "approve a debtor registration", history: pendingDebtor, expect: version(1), cmd: approve("", debtorID),
			want: []collection.Event{debtorApproved}},
		{name: "approve a creditor registration without its creditor", history: pending, cmd: approve("", ""),
			code: collection.CodeInvalid, fields: []string{"creditor_id"}},
		{name: "approve a creditor registration as a debtor", history: pending, cmd: approve("", debtorID),
			code: collection.CodeInvalid, fields: []string{"creditor_id", "debtor_id"}},
		{name: "approve a creditor registration linked to both", history: pending, cmd: approve(creditorID, debtorID),
			code: collection.CodeInvalid, fields: []string{"debtor_id"}},
		{name: "approve a debtor registration as a creditor", history: pendingDebtor, cmd: approve(creditorID, ""),
			code: collection.CodeInvalid, fields: []string{"creditor_id", "debtor_id"}},
		{name: "approve a debtor registration with a malformed link", history: pendingDebtor, cmd: approve("", "not-a-uuid"),
			code: collection.CodeInvalid, fields: []string{"debtor_id"}},
		{name: "approve an approved registration", history: creditorAccount, cmd: approve(creditorID, ""), code: collection.CodeWrongStatus},
		{name: "approve a rejected registration", history: rejected, cmd: approve(creditorID, ""), code: collection.CodeWrongStatus},
		{name: "approve a created account", history: agent, cmd: approve(creditorID, ""), code: collection.CodeWrongStatus},
		{name: "approve a disabled account", history: disabled, cmd: approve(creditorID, ""), code: collection.CodeWrongStatus},
		{name: "approve expecting an old version", history: pending, expect: version(0), cmd: approve(creditorID, ""),
			code: collection.CodeVersionConflict},

		// reject
		{name: "reject a registration", history: pending, cmd: reject, want: []collection.Event{registrationRejected}},
		{name: "reject with the longest reason on two lines", history: pendingDebtor,
			cmd:  collection.RejectRegistration{ID: accountID, Reason: long[:len(long)-8] + "\r\n\té"},
			want: []collection.Event{collection.RegistrationRejected{ID: accountID, Reason: long[:len(long)-8] + "\r\n\té"}}},
		{name: "reject without a reason", history: pending, cmd: collection.RejectRegistration{ID: accountID},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reject with a blank reason", history: pending, cmd: collection.RejectRegistration{ID: accountID, Reason: " \n "},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reject with a reason too long", history: pending, cmd: collection.RejectRegistration{ID: accountID, Reason: tooLong},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reject with a bidi override", history: pending, cmd: collection.RejectRegistration{ID: accountID, Reason: "ok \u202e"},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reject with a control character", history: pending, cmd: collection.RejectRegistration{ID: accountID, Reason: "ok\x00"},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reject with invalid UTF-8", history: pending, cmd: collection.RejectRegistration{ID: accountID, Reason: "ok\xff"},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reject a rejected registration", history: rejected, cmd: reject, code: collection.CodeWrongStatus},
		{name: "reject an approved registration", history: creditorAccount, cmd: reject, code: collection.CodeWrongStatus},
		{name: "reject a disabled account", history: disabled, cmd: reject, code: collection.CodeWrongStatus},

		// change role
		{name: "promote an agent", history: agent, cmd: changeRole(collection.RoleAdmin),
			want: []collection.Event{collection.RoleChanged{ID: accountID, From: collection.RoleAgent, To: collection.RoleAdmin}}},
		{name: "make an agent an auditor", history: agent, cmd: changeRole(collection.RoleAuditor),
			want: []collection.Event{collection.RoleChanged{ID: accountID, From: collection.RoleAgent, To: collection.RoleAuditor}}},
		{name: "change the role of a disabled account", history: disabled, cmd: changeRole(collection.RoleAuditor),
			want: []collection.Event{collection.RoleChanged{ID: accountID, From: collection.RoleAgent, To: collection.RoleAuditor}}},
		{name: "change back after a change", history: []collection.Event{agentCreated,
			collection.RoleChanged{ID: accountID, From: collection.RoleAgent, To: collection.RoleAdmin}}, expect: version(2),
			cmd:  changeRole(collection.RoleAgent),
			want: []collection.Event{collection.RoleChanged{ID: accountID, From: collection.RoleAdmin, To: collection.RoleAgent}}},
		{name: "change to the same role", history: agent, cmd: changeRole(collection.RoleAgent), code: collection.CodeNoChange},
		{name: "make staff a creditor", history: agent, cmd: changeRole(collection.RoleCreditor),
			code: collection.CodeInvalid, fields: []string{"role"}},
		{name: "make staff a debtor", history: agent, cmd: changeRole(collection.RoleDebtor),
			code: collection.CodeInvalid, fields: []string{"role"}},
		{name: "change to an unknown role", history: agent, cmd: changeRole("root"), code: collection.CodeInvalid, fields: []string{"role"}},
		{name: "change to no role", history: agent, cmd: changeRole(""), code: collection.CodeInvalid, fields: []string{"role"}},
		{name: "make a creditor account staff", history: creditorAccount, cmd: changeRole(collection.RoleAdmin), code: collection.CodeInvalid},
		{name: "make a debtor account staff", history: debtorAccount, cmd: changeRole(collection.RoleAgent), code: collection.CodeInvalid},
		{name: "make a debtor account a creditor", history: debtorAccount, cmd: changeRole(collection.RoleCreditor), code: collection.CodeInvalid},
		{name: "change the role of a pending registration", history: pending, cmd: changeRole(collection.RoleAgent), code: collection.CodeWrongStatus},
		{name: "change the role of a rejected registration", history: rejected, cmd: changeRole(collection.RoleAgent), code: collection.CodeWrongStatus},

		// disable and enable
		{name: "disable", history: agent, cmd: disable, want: []collection.Event{accountDisabled}},
		{name: "disable without a reason", history: creditorAccount, cmd: collection.DisableAccount{ID: accountID},
			want: []collection.Event{collection.AccountDisabled{ID: accountID}}},
		{name: "disable a re-enabled account", history: reenabled, expect: version(3), cmd: disable, want: []collection.Event{accountDisabled}},
		{name: "disable with a reason too long", history: agent, cmd: collection.DisableAccount{ID: accountID, Reason: tooLong},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "disable a disabled account", history: disabled, cmd: disable, code: collection.CodeNoChange},
		{name: "disable a pending registration", history: pending, cmd: disable, code: collection.CodeWrongStatus},
		{name: "disable a rejected registration", history: rejected, cmd: disable, code: collection.CodeWrongStatus},
		{name: "enable", history: disabled, cmd: enable, want: []collection.Event{accountEnabled}},
		{name: "enable an active account", history: agent, cmd: enable, code: collection.CodeNoChange},
		{name: "enable a re-enabled account", history: reenabled, cmd: enable, code: collection.CodeNoChange},
		{name: "enable a pending registration", history: pending, cmd: enable, code: collection.CodeWrongStatus},
		{name: "enable a rejected registration", history: rejected, cmd: enable, code: collection.CodeWrongStatus},

		// MFA
		{name: "enrol", history: agent, cmd: enrol, want: []collection.Event{mfaEnrolled}},
		{name: "enrol a debtor", history: debtorAccount, cmd: enrol, want: []collection.Event{mfaEnrolled}},
		{name: "enrol again after a reset", history: reset, cmd: enrol, want: []collection.Event{mfaEnrolled}},
		{name: "enrol when enrolled", history: enrolled, cmd: enrol, code: collection.CodeNoChange},
		{name: "enrol a disabled account", history: disabled, cmd: enrol, code: collection.CodeWrongStatus},
		{name: "enrol a pending registration", history: pending, cmd: enrol, code: collection.CodeWrongStatus},
		{name: "enrol a rejected registration", history: rejected, cmd: enrol, code: collection.CodeWrongStatus},
		{name: "reset", history: enrolled, cmd: resetMFA, want: []collection.Event{mfaReset}},
		{name: "reset without a reason", history: enrolled, cmd: collection.ResetMFA{ID: accountID},
			want: []collection.Event{collection.MFAReset{ID: accountID}}},
		{name: "reset on a disabled account", history: enrolledDisabled, cmd: resetMFA, want: []collection.Event{mfaReset}},
		{name: "reset with a reason too long", history: enrolled, cmd: collection.ResetMFA{ID: accountID, Reason: tooLong},
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "reset when not enrolled", history: agent, cmd: resetMFA, code: collection.CodeNoChange},
		{name: "reset twice", history: reset, cmd: resetMFA, code: collection.CodeNoChange},
		{name: "reset a pending registration", history: pending, cmd: resetMFA, code: collection.CodeNoChange},

		// locks
		{name: "lock a password", history: agent, cmd: lockPassword, want: []collection.Event{passwordLocked}},
		{name: "lock TOTP for good", history: locked, cmd: lockForGood, want: []collection.Event{totpLockedForGood}},
		{name: "lock a locked factor again", history: locked, cmd: lockPassword, want: []collection.Event{passwordLocked}},
		{name: "lock keeps the instant in UTC", history: agent,
			cmd:  collection.LockAccount{ID: accountID, Factor: collection.FactorPassword, Until: time.Date(2025, 3, 1, 10, 15, 0, 0, algiers), Failures: 5},
			want: []collection.Event{passwordLocked}},
		{name: "lock a pending registration", history: pending, cmd: lockPassword, want: []collection.Event{passwordLocked}},
		{name: "lock a rejected registration", history: rejected, cmd: lockForGood, want: []collection.Event{totpLockedForGood}},
		{name: "lock a disabled account", history: disabled, cmd: lockPassword, want: []collection.Event{passwordLocked}},
		{name: "lock a recovery code", history: agent,
			cmd:  collection.LockAccount{ID: accountID, Factor: collection.FactorRecoveryCode, Until: passwordLocked.Until, Failures: 5},
			code: collection.CodeInvalid, fields: []string{"factor"}},
		{name: "lock for good with an end", history: agent,
			cmd:  collection.LockAccount{ID: accountID, Factor: collection.FactorTOTP, Until: passwordLocked.Until, Failures: 10, Permanent: true},
			code: collection.CodeInvalid, fields: []string{"until"}},
		{name: "lock for a while without an end", history: agent,
			cmd:  collection.LockAccount{ID: accountID, Factor: collection.FactorTOTP, Failures: 3},
			code: collection.CodeInvalid, fields: []string{"until"}},
		{name: "lock with everything wrong", history: agent, cmd: collection.LockAccount{ID: accountID, Factor: "sms", Failures: -1},
			code: collection.CodeInvalid, fields: []string{"factor", "until", "failures"}},
		{name: "unlock", history: locked, cmd: unlock,
			want: []collection.Event{collection.AccountUnlocked{ID: accountID, Factors: []string{"password"}}}},
		{name: "unlock both factors", history: lockedTwice, cmd: unlock,
			want: []collection.Event{collection.AccountUnlocked{ID: accountID, Factors: []string{"password", "totp"}}}},
		{name: "unlock a disabled account", history: append(slices.Clone(disabled), totpLockedForGood), cmd: unlock,
			want: []collection.Event{collection.AccountUnlocked{ID: accountID, Factors: []string{"totp"}}}},
		{name: "unlock an account never locked", history: agent, cmd: unlock, code: collection.CodeNoChange},
		{name: "unlock an unlocked account", history: unlocked, cmd: unlock, code: collection.CodeNoChange},

		// logins
		{name: "password accepted", history: agent, cmd: login(collection.LoginOutcomeSucceeded, collection.FactorPassword, ""),
			want: []collection.Event{collection.LoginSucceeded{ID: accountID, Factor: collection.FactorPassword}}},
		{name: "recovery code accepted", history: enrolled, cmd: login(collection.LoginOutcomeSucceeded, collection.FactorRecoveryCode, ""),
			want: []collection.Event{collection.LoginSucceeded{ID: accountID, Factor: collection.FactorRecoveryCode}}},
		{name: "password refused", history: agent, cmd: failedPassword, want: []collection.Event{loginFailed}},
		{name: "TOTP refused without a reason", history: enrolled, cmd: login(collection.LoginOutcomeFailed, collection.FactorTOTP, ""),
			want: []collection.Event{collection.LoginFailed{ID: accountID, Factor: collection.FactorTOTP}}},
		{name: "login on a disabled account", history: disabled, cmd: failedPassword, want: []collection.Event{loginFailed}},
		{name: "login on a pending registration", history: pending, cmd: failedPassword, want: []collection.Event{loginFailed}},
		{name: "login on a rejected registration", history: rejected, cmd: failedPassword, want: []collection.Event{loginFailed}},
		{name: "login on a locked account", history: locked, cmd: failedPassword, want: []collection.Event{loginFailed}},
		{name: "success with a reason", history: agent, cmd: login(collection.LoginOutcomeSucceeded, collection.FactorTOTP, "bad_code"),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "failure with a reason too long", history: agent, cmd: login(collection.LoginOutcomeFailed, collection.FactorPassword, tooLong),
			code: collection.CodeInvalid, fields: []string{"reason"}},
		{name: "login with an unknown outcome and factor", history: agent, cmd: login("maybe", "sms", ""),
			code: collection.CodeInvalid, fields: []string{"outcome", "factor"}},
		{name: "login with nothing", history: agent, cmd: collection.RecordLogin{ID: accountID},
			code: collection.CodeInvalid, fields: []string{"outcome", "factor"}},

		// registration attempts
		{name: "attempt on an active account", history: agent, cmd: attempt,
			want: []collection.Event{collection.RegistrationAttempted(attempt)}},
		{name: "attempt on a pending registration", history: pending, cmd: attempt,
			want: []collection.Event{collection.RegistrationAttempted(attempt)}},
		{name: "attempt on a rejected registration", history: rejected, cmd: attempt,
			want: []collection.Event{collection.RegistrationAttempted(attempt)}},
		{name: "attempt on a disabled account", history: disabled, cmd: attempt,
			want: []collection.Event{collection.RegistrationAttempted(attempt)}},

		// optimistic concurrency
		{name: "disable expecting the current version", history: enrolled, expect: version(2), cmd: disable,
			want: []collection.Event{accountDisabled}},
		{name: "disable expecting an old version", history: enrolled, expect: version(1), cmd: disable, code: collection.CodeVersionConflict},
		{name: "version conflict before not found", expect: version(2), cmd: enable, code: collection.CodeVersionConflict},
		{name: "version conflict before wrong status", history: rejected, expect: version(1), cmd: enable, code: collection.CodeVersionConflict},

		// misrouted
		{name: "creditor command", history: agent, cmd: collection.ArchiveCreditor{ID: accountID}, plain: true},
		{name: "unknown account command", history: agent, cmd: strayAccountCommand{}, plain: true},
	}...))
}

// strayAccountCommand claims the account aggregate but is not one of its
// commands.
type strayAccountCommand struct{}

func (strayAccountCommand) CommandType() string                 { return "account.merge" }
func (strayAccountCommand) Aggregate() collection.AggregateType { return collection.AccountAggregate }

func TestAccountWrongStatusNamesTheStatus(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.AccountAggregate)
	s := collection.Fold(b, b.New(accountID), agentCreated, accountDisabled)
	_, err := collection.Handle(b, s, collection.AnyVersion, collection.EnrollMFA{ID: accountID})
	r, ok := collection.AsRejection(err)
	if !ok || r.Code != collection.CodeWrongStatus {
		t.Fatalf("enrol on a disabled account: %v", err)
	}
	want := "account " + accountID + " is disabled; only an active account can enrol MFA"
	if r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
}

func TestAccountEvolve(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.AccountAggregate)
	type view struct {
		Status, Kind, Role, CreditorID, DebtorID string
		MFA                                      bool
		Locked                                   []string
	}
	active := func(role string) view { return view{Status: collection.AccountStatusActive, Role: role} }
	for _, tc := range []struct {
		name    string
		events  []collection.Event
		version int64
		want    view
	}{
		{"new", nil, 0, view{}},
		{"creditor registered", []collection.Event{creditorRegistration}, 1,
			view{Status: collection.AccountStatusPending, Kind: collection.RoleCreditor}},
		{"debtor registered", []collection.Event{debtorRegistration}, 1,
			view{Status: collection.AccountStatusPending, Kind: collection.RoleDebtor}},
		{"creditor approved", []collection.Event{creditorRegistration, creditorApproved}, 2,
			view{Status: collection.AccountStatusActive, Kind: collection.RoleCreditor, Role: collection.RoleCreditor, CreditorID: creditorID}},
		{"debtor approved", []collection.Event{debtorRegistration, debtorApproved}, 2,
			view{Status: collection.AccountStatusActive, Kind: collection.RoleDebtor, Role: collection.RoleDebtor, DebtorID: debtorID}},
		{"rejected", []collection.Event{creditorRegistration, registrationRejected, collection.RegistrationAttempted{ID: accountID}}, 3,
			view{Status: collection.AccountStatusRejected, Kind: collection.RoleCreditor}},
		{"agent created", []collection.Event{agentCreated}, 1, active(collection.RoleAgent)},
		{"creditor account created", []collection.Event{collection.AccountCreated(createCreditorAccount)}, 1,
			view{Status: collection.AccountStatusActive, Role: collection.RoleCreditor, CreditorID: creditorID}},
		{"promoted", []collection.Event{agentCreated, collection.RoleChanged{ID: accountID, From: "agent", To: "admin"}}, 2,
			active(collection.RoleAdmin)},
		{"disabled", []collection.Event{agentCreated, accountDisabled}, 2,
			view{Status: collection.AccountStatusDisabled, Role: collection.RoleAgent}},
		{"enabled", []collection.Event{agentCreated, accountDisabled, accountEnabled}, 3, active(collection.RoleAgent)},
		{"enrolled", []collection.Event{agentCreated, mfaEnrolled}, 2,
			view{Status: collection.AccountStatusActive, Role: collection.RoleAgent, MFA: true}},
		{"reset", []collection.Event{agentCreated, mfaEnrolled, mfaReset}, 3, active(collection.RoleAgent)},
		{"locked", []collection.Event{agentCreated, passwordLocked}, 2,
			view{Status: collection.AccountStatusActive, Role: collection.RoleAgent, Locked: []string{"password"}}},
		{"locked twice, sorted", []collection.Event{agentCreated, totpLockedForGood, passwordLocked, passwordLocked}, 4,
			view{Status: collection.AccountStatusActive, Role: collection.RoleAgent, Locked: []string{"password", "totp"}}},
		{"unlocked", []collection.Event{agentCreated, totpLockedForGood, passwordLocked,
			collection.AccountUnlocked{ID: accountID, Factors: []string{"password", "totp"}}}, 4, active(collection.RoleAgent)},
		{"logins leave the state as it was", []collection.Event{agentCreated, loginFailed,
			collection.LoginSucceeded{ID: accountID, Factor: "password"}}, 3, active(collection.RoleAgent)},
	} {
		s := collection.Fold(b, b.New(accountID), tc.events...).(collection.AccountState)
		got := view{s.Status, s.Kind, s.Role, s.CreditorID, s.DebtorID, s.MFAEnrolled, s.Locked}
		if s.Version() != tc.version || s.ID != accountID || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: state %+v (version %d), want %+v version %d", tc.name, s, s.Version(), tc.want, tc.version)
		}
	}
}

func TestAccountEvolveSharesNoLocks(t *testing.T) {
	t.Parallel()
	b, _ := collection.BehaviourOf(collection.AccountAggregate)
	// Two states grown from one: a lock added to one must not show in the
	// other, whatever spare capacity the shared slice had.
	base := collection.Fold(b, b.New(accountID), agentCreated, totpLockedForGood).(collection.AccountState)
	base.Locked = slices.Grow(base.Locked, 4)
	one := b.Evolve(base, passwordLocked).(collection.AccountState)
	other := b.Evolve(base, collection.AccountLocked{ID: accountID, Factor: "zzz", Permanent: true}).(collection.AccountState)
	if !slices.Equal(base.Locked, []string{"totp"}) || !slices.Equal(one.Locked, []string{"password", "totp"}) ||
		!slices.Equal(other.Locked, []string{"totp", "zzz"}) {
		t.Errorf("locks leaked between states: base %v, one %v, other %v", base.Locked, one.Locked, other.Locked)
	}
}

func TestAccountRecordNames(t *testing.T) {
	t.Parallel()
	commands := []collection.Command{
		collection.RegisterAccount{}, collection.CreateAccount{}, collection.ApproveRegistration{},
		collection.RejectRegistration{}, collection.ChangeRole{}, collection.DisableAccount{}, collection.EnableAccount{},
		collection.EnrollMFA{}, collection.ResetMFA{}, collection.LockAccount{}, collection.UnlockAccount{},
		collection.RecordLogin{}, collection.NoteRegistrationAttempt{},
	}
	events := []collection.Event{
		collection.AccountRegistered{}, collection.AccountCreated{}, collection.RegistrationApproved{},
		collection.RegistrationRejected{}, collection.RoleChanged{}, collection.AccountDisabled{}, collection.AccountEnabled{},
		collection.MFAEnrolled{}, collection.MFAReset{}, collection.AccountLocked{}, collection.AccountUnlocked{},
		collection.LoginSucceeded{}, collection.LoginFailed{}, collection.RegistrationAttempted{},
	}
	seen := map[string]bool{}
	check := func(name string, agg collection.AggregateType) {
		if seen[name] {
			t.Errorf("record name %q used twice", name)
		}
		seen[name] = true
		if agg != collection.AccountAggregate || !strings.HasPrefix(name, "account.") {
			t.Errorf("record name %q of aggregate %q, want the account aggregate", name, agg)
		}
	}
	for _, c := range commands {
		check(c.CommandType(), c.Aggregate())
	}
	for _, e := range events {
		check(e.EventType(), e.Aggregate())
	}
	// The records that carry personal data say so; no other one can.
	carriers := map[string]bool{
		"account.register": true, "account.create": true, "account.registered": true, "account.created": true,
	}
	for _, v := range append(append([]any{}, anySlice(commands)...), anySlice(events)...) {
		_, ok := v.(collection.PersonalCarrier)
		name := recordName(v)
		if ok != carriers[name] {
			t.Errorf("%s: carries a personal part = %v, want %v", name, ok, carriers[name])
		}
	}
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func recordName(v any) string {
	switch v := v.(type) {
	case collection.Command:
		return v.CommandType()
	case collection.Event:
		return v.EventType()
	}
	return ""
}

func TestRoles(t *testing.T) {
	t.Parallel()
	if got := collection.Roles(); !slices.Equal(got, []string{"admin", "agent", "auditor", "creditor", "debtor"}) {
		t.Errorf("Roles() = %v", got)
	}
	staff := collection.StaffRoles()
	if !slices.Equal(staff, []string{"admin", "agent", "auditor"}) {
		t.Errorf("StaffRoles() = %v", staff)
	}
	staff[0] = "root"
	if collection.StaffRoles()[0] != collection.RoleAdmin {
		t.Error("StaffRoles() returned the package's own slice")
	}
	for _, r := range collection.Roles() {
		if want := slices.Contains([]string{"admin", "agent", "auditor"}, r); collection.IsStaffRole(r) != want {
			t.Errorf("IsStaffRole(%q) = %v", r, !want)
		}
	}
	if collection.IsStaffRole("") || collection.IsStaffRole("Admin") {
		t.Error("IsStaffRole accepted an unknown role")
	}
}
