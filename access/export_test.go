package access

// Internals the external tests check, exported to them only.
const DummyHashForTest = dummyHash

var CommonPasswordsForTest = commonPasswords
