package access

import (
	_ "embed"
	"strings"
)

// commonPasswords holds the 30,000 most common passwords, one a line, lower
// case, from most to least common. Source: the "passwords" frequency list of
// Dropbox's zxcvbn, taken from Debian's python3-zxcvbn 4.4.28-3
// (zxcvbn/frequency_lists.py), which zxcvbn built from Mark Burnett's
// ten-million-password corpus (xato.net, 2015). zxcvbn keeps a word in only
// one of its lists, so a few common passwords that are first names or English
// words are missing here; most of those are shorter than MinPasswordLength
// and refused anyway.
//
// Only 229 entries have MinPasswordLength code points or more, so the list
// stops "password1234" and "qwerty123456" but falls short of the 3,000
// policy-matching passwords ASVS 5.0 6.2.4 asks for. A larger list (top
// 100,000 or more, filtered to 12+ characters) can replace the file as is:
// one password a line, lower case.
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

// isCommonPassword reports whether pw, lower-cased, is a line of the list.
//
// It scans the embedded text (240 KB, about 0.3 ms) instead of building a
// set: no memory kept and no initialisation, and the scan costs less than a
// hundredth of the argon2 hash that follows every accepted password.
func isCommonPassword(pw string) bool {
	if pw == "" || strings.ContainsAny(pw, "\r\n") {
		// A line break could otherwise match across two entries.
		return false
	}
	lower := strings.ToLower(pw)
	return strings.HasPrefix(commonPasswords, lower+"\n") ||
		strings.Contains(commonPasswords, "\n"+lower+"\n")
}
