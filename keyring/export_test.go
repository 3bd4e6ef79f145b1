package keyring

// CrashAfterCommit makes r fail with err right after its transaction
// commits, before the key file is renamed: a crash at the worst moment.
func CrashAfterCommit(r Rotation, err error) Rotation {
	r.afterCommit = func() error { return err }
	return r
}
