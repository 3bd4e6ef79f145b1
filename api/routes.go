package api

import (
	"net/http"

	"github.com/adc-dz/tahsil/access"
)

// routes lists every route of the API with the permission it needs, so the
// whole surface and its access rules read at a glance. Scoping to a
// creditor's or debtor's own records happens in the handlers' SQL.
func (s *Server) routes() {
	const (
		GET, POST, PATCH, PUT, DELETE = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete
	)
	r := s.route
	r(GET, "/healthz", Public, s.healthz)
	r(GET, "/readyz", Public, s.readyz)
	if s.cfg.Metrics != nil {
		r(GET, "/metrics", Public, func(c echoContext) error { s.cfg.Metrics.ServeHTTP(c.Response(), c.Request()); return nil })
	}
	r(GET, "/api/v1/openapi.json", Public, s.openAPI)

	r(POST, "/api/v1/auth/login", Public, s.login)
	r(POST, "/api/v1/auth/mfa/enroll", Public, s.mfaEnroll)
	r(POST, "/api/v1/auth/mfa/activate", Public, s.mfaActivate)
	r(POST, "/api/v1/auth/mfa", Public, s.mfaVerify)
	r(POST, "/api/v1/auth/logout", access.PermSelf, s.logout)
	r(GET, "/api/v1/me", access.PermSelf, s.me)

	r(POST, "/api/v1/registrations", Public, s.registrationCreate)
	r(GET, "/api/v1/registrations", access.PermRegistrationsManage, s.registrationList)
	r(GET, "/api/v1/registrations/:id", access.PermRegistrationsManage, s.registrationGet)
	r(POST, "/api/v1/registrations/:id/approval", access.PermRegistrationsManage, s.registrationApprove)
	r(POST, "/api/v1/registrations/:id/rejection", access.PermRegistrationsManage, s.registrationReject)

	r(POST, "/api/v1/users", access.PermUsersManage, s.userCreate)
	r(GET, "/api/v1/users", access.PermUsersRead, s.userList)
	r(GET, "/api/v1/users/:id", access.PermUsersRead, s.userGet)
	r(PUT, "/api/v1/users/:id/role", access.PermUsersManage, s.userRole)
	r(POST, "/api/v1/users/:id/disable", access.PermUsersManage, s.userDisable)
	r(POST, "/api/v1/users/:id/enable", access.PermUsersManage, s.userEnable)
	r(POST, "/api/v1/users/:id/mfa-reset", access.PermUsersManage, s.userResetMFA)
	r(POST, "/api/v1/users/:id/unlock", access.PermUsersManage, s.userUnlock)

	r(POST, "/api/v1/api-keys", access.PermAPIKeysManage, s.apiKeyCreate)
	r(GET, "/api/v1/api-keys", access.PermAPIKeysManage, s.apiKeyList)
	r(DELETE, "/api/v1/api-keys/:id", access.PermAPIKeysManage, s.apiKeyRevoke)

	r(GET, "/api/v1/audit", access.PermAuditRead, s.auditList)

	r(POST, "/api/v1/creditors", access.PermCreditorsCreate, s.creditorCreate)
	r(GET, "/api/v1/creditors", access.PermCreditorsRead, s.creditorList)
	r(GET, "/api/v1/creditors/:id", access.PermCreditorsRead, s.creditorGet)
	r(PATCH, "/api/v1/creditors/:id", access.PermCreditorsUpdate, s.creditorUpdate)
	r(DELETE, "/api/v1/creditors/:id", access.PermCreditorsArchive, s.creditorArchive)
	r(GET, "/api/v1/creditors/:id/history", access.PermCreditorsHistory, s.creditorHistory)
	r(POST, "/api/v1/creditors/:id/erasure", access.PermCreditorsErase, s.creditorErase)

	r(POST, "/api/v1/debtors", access.PermDebtorsCreate, s.debtorCreate)
	r(GET, "/api/v1/debtors", access.PermDebtorsRead, s.debtorList)
	r(GET, "/api/v1/debtors/:id", access.PermDebtorsRead, s.debtorGet)
	r(PATCH, "/api/v1/debtors/:id", access.PermDebtorsUpdate, s.debtorUpdate)
	r(DELETE, "/api/v1/debtors/:id", access.PermDebtorsArchive, s.debtorArchive)
	r(GET, "/api/v1/debtors/:id/history", access.PermDebtorsHistory, s.debtorHistory)
	r(POST, "/api/v1/debtors/:id/erasure", access.PermDebtorsErase, s.debtorErase)

	r(GET, "/api/v1/creditors/:id/debts", access.PermDebtsRead, s.creditorDebts)
	r(GET, "/api/v1/debtors/:id/debts", access.PermDebtsRead, s.debtorDebts)

	r(POST, "/api/v1/debts", access.PermDebtsWrite, s.debtCreate)
	r(GET, "/api/v1/debts", access.PermDebtsRead, s.debtList)
	r(GET, "/api/v1/debts/:id", access.PermDebtsRead, s.debtGet)
	r(PATCH, "/api/v1/debts/:id", access.PermDebtsManage, s.debtUpdate)
	r(GET, "/api/v1/debts/:id/history", access.PermDebtsHistory, s.debtHistory)
	r(POST, "/api/v1/debts/:id/transitions", access.PermDebtsManage, s.debtTransition)
	r(POST, "/api/v1/debts/:id/charges", access.PermDebtsManage, s.debtCharge)
	r(POST, "/api/v1/debts/:id/proposals", access.PermDebtsManage, s.debtPropose)
	r(GET, "/api/v1/approvals", access.PermDebtsHistory, s.approvalList)
	r(GET, "/api/v1/approvals/:id", access.PermDebtsHistory, s.approvalGet)
	r(POST, "/api/v1/approvals/:id", access.PermDebtsApprove, s.approvalDecide)

	r(POST, "/api/v1/debts/:id/payments", access.PermPaymentsWrite, s.paymentCreate)
	r(GET, "/api/v1/debts/:id/payments", access.PermPaymentsRead, s.paymentList)
	r(GET, "/api/v1/payments/:id", access.PermPaymentsRead, s.paymentGet)
	r(POST, "/api/v1/payments/:id/reversal", access.PermPaymentsWrite, s.paymentReverse)
	r(GET, "/api/v1/payments/:id/receipt", access.PermPaymentsRead, s.paymentReceipt)
	r(GET, "/api/v1/receipts/verify", Public, s.receiptVerify)

	r(PUT, "/api/v1/debts/:id/plan", access.PermDebtsManage, s.planSet)
	r(GET, "/api/v1/debts/:id/plan", access.PermDebtsRead, s.planGet)
	r(POST, "/api/v1/debts/:id/promises", access.PermPromisesWrite, s.promiseCreate)
	r(GET, "/api/v1/debts/:id/promises", access.PermDebtsRead, s.promiseList)

	// Legal procedures are ADC's to work, everyone's (in scope) to read.
	r(POST, "/api/v1/debts/:id/legal-procedures", access.PermDebtsManage, s.legalProcedureCreate)
	r(GET, "/api/v1/debts/:id/legal-procedures", access.PermDebtsRead, s.legalProcedureList)
	r(GET, "/api/v1/legal-procedures/:id", access.PermDebtsRead, s.legalProcedureGet)
	r(POST, "/api/v1/legal-procedures/:id/steps", access.PermDebtsManage, s.legalStepCreate)
	r(GET, "/api/v1/legal/deadlines", access.PermDebtsRead, s.legalDeadlineList)

	// Documents are read by whoever may see the debt; staff and the
	// debt's creditor (debts:write, scoped in SQL) upload them. Interactions
	// are ADC's working notes; tasks are the agents' work queue.
	r(POST, "/api/v1/debts/:id/documents", access.PermDebtsWrite, s.documentCreate) // = debtDocumentsPath
	r(GET, "/api/v1/debts/:id/documents", access.PermDebtsRead, s.documentList)
	r(GET, "/api/v1/documents/:id/content", access.PermDebtsRead, s.documentContent)
	r(POST, "/api/v1/debts/:id/interactions", access.PermDebtsManage, s.interactionCreate)
	r(GET, "/api/v1/debts/:id/interactions", access.PermDebtsHistory, s.interactionList)
	r(GET, "/api/v1/tasks", access.PermDebtsManage, s.taskList)
	r(POST, "/api/v1/tasks/:id/completion", access.PermDebtsManage, s.taskComplete)

	// A creditor imports its own debts only, and sees its own imports.
	r(POST, "/api/v1/imports/debts", access.PermDebtsWrite, s.importCreate) // = importDebtsPath
	r(GET, "/api/v1/imports/:id", access.PermDebtsRead, s.importGet)

	r(GET, "/api/v1/commands/:id", access.PermCommandsRead, s.commandGet)
}
