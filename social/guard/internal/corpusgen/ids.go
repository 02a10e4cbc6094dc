package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// This file makes identifiers for the corpus with its own check-digit code,
// written separately from the guard's so that a mistake in one does not
// hide in the other.

type gen struct{ r *rand.Rand }

func (g gen) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g gen) pick(options ...string) string { return options[g.r.IntN(len(options))] }

// mod11Digit computes the NHS-style check digit for nine digits; ok is
// false when the remainder gives 10, a number that is never issued.
func mod11Digit(nine string) (byte, bool) {
	total := 0
	for i, c := range nine {
		total += int(c-'0') * (10 - i)
	}
	rem := total % 11
	switch rem {
	case 0:
		return '0', true
	case 1:
		return 0, false
	}
	return byte('0' + 11 - rem), true
}

// luhnDigit computes the Luhn check digit for a payload.
func luhnDigit(payload string) byte {
	total := 0
	// Doubling starts with the digit next to the check digit.
	for i := 0; i < len(payload); i++ {
		v := int(payload[len(payload)-1-i] - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		total += v
	}
	return byte('0' + (10-total%10)%10)
}

// gs1Digit computes a GS1 check digit (weights 3,1,... from the right).
func gs1Digit(payload string) byte {
	total := 0
	for i := 0; i < len(payload); i++ {
		w := 1
		if i%2 == 0 {
			w = 3
		}
		total += int(payload[len(payload)-1-i]-'0') * w
	}
	return byte('0' + (10-total%10)%10)
}

// ppsLetter computes the check character of a PPS number.
func ppsLetter(seven string, second byte) byte {
	total := 0
	for i, c := range seven {
		total += int(c-'0') * (8 - i)
	}
	if second >= 'A' && second <= 'I' {
		total += int(second-'A'+1) * 9
	}
	const letters = "WABCDEFGHIJKLMNOPQRSTUV"
	return letters[total%23]
}

func (g gen) nine(first string) string { return first + g.digits(9-len(first)) }

// nhsRaw returns a valid NHS number in an issued English range, outside
// the 812-859 bank that Ireland's IHI uses.
func (g gen) nhsRaw() string {
	for {
		base := g.nine(g.pick("4", "4", "6", "7", "7", "3"))
		if base[0] == '3' && base[1] < '2' {
			continue // 30/31 may read as a CHI date
		}
		if c, ok := mod11Digit(base); ok {
			return base + string(c)
		}
	}
}

// badNHSRaw returns a number shaped like an NHS number whose check digit is
// wrong.
func (g gen) badNHSRaw() string {
	for {
		base := g.nine(g.pick("4", "6", "7", "9", "5"))
		c, ok := mod11Digit(base)
		last := byte('0' + g.r.IntN(10))
		if ok && last == c {
			continue
		}
		return base + string(last)
	}
}

// format334 writes ten digits as 3-3-4 with spaces or hyphens, or unbroken.
func (g gen) format334(d string) string {
	switch g.r.IntN(10) {
	case 0, 1, 2, 3, 4:
		return d[:3] + " " + d[3:6] + " " + d[6:]
	case 5, 6:
		return d[:3] + "-" + d[3:6] + "-" + d[6:]
	}
	return d
}

func (g gen) nhs() string    { return g.format334(g.nhsRaw()) }
func (g gen) badNHS() string { return g.format334(g.badNHSRaw()) }

type date struct{ d, m, y int }

var monthsLong = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func (g gen) date(from, to int) date {
	y := from + g.r.IntN(to-from+1)
	m := 1 + g.r.IntN(12)
	return date{d: 1 + g.r.IntN(daysIn(m, y)), m: m, y: y}
}

// chiRaw returns a CHI number: date of birth DDMMYY, three digits and a
// check digit, modulus 11 for most and Luhn for a few (PHS, 2026).
func (g gen) chiRaw() string {
	for {
		dt := g.date(1930, 2023)
		base := fmt.Sprintf("%02d%02d%02d", dt.d, dt.m, dt.y%100) + g.digits(3)
		if g.r.IntN(6) == 0 {
			return base + string(luhnDigit(base))
		}
		if c, ok := mod11Digit(base); ok {
			return base + string(c)
		}
	}
}

func (g gen) chi() string {
	d := g.chiRaw()
	switch g.r.IntN(5) {
	case 0:
		return d[:6] + " " + d[6:]
	case 1:
		return d[:3] + " " + d[3:6] + " " + d[6:]
	}
	return d
}

// badCHI returns a real date with digits whose check fails both ways.
func (g gen) badCHI() string {
	for {
		dt := g.date(1930, 2023)
		base := fmt.Sprintf("%02d%02d%02d", dt.d, dt.m, dt.y%100) + g.digits(3)
		c, ok := mod11Digit(base)
		l := luhnDigit(base)
		last := byte('0' + g.r.IntN(10))
		if ok && last == c || last == l {
			continue
		}
		return base + string(last)
	}
}

// ppsRaw returns a PPS number: most old-style, some with W, some with a
// 2013-style second letter that counts in the check.
func (g gen) pps() string {
	seven := g.digits(7)
	switch g.r.IntN(7) {
	case 0:
		return seven + string(ppsLetter(seven, 0)) + "W"
	case 1:
		second := byte('A' + g.r.IntN(9))
		return seven + string(ppsLetter(seven, second)) + string(second)
	}
	return seven + string(ppsLetter(seven, 0))
}

// badPPS returns seven digits and a letter that is not the check letter.
func (g gen) badPPS() string {
	seven := g.digits(7)
	right := ppsLetter(seven, 0)
	for {
		l := byte('A' + g.r.IntN(23))
		if l != right {
			return seven + string(l)
		}
	}
}

// ihiCore returns a 10-digit IHI core from the HSE's 812-859 range.
func (g gen) ihiCore() string {
	for {
		base := fmt.Sprintf("%d", 812000000+g.r.IntN(48000000))
		if c, ok := mod11Digit(base); ok {
			return base + string(c)
		}
	}
}

// ihi returns a full 18-digit IHI: a 7-digit prefix (the same for every
// IHI; its value is not published, so one is made up), the core and a GS1
// check digit.
func (g gen) ihi() string {
	p := "3720114" + g.ihiCore()
	return p + string(gs1Digit(p))
}

func (g gen) badIHI() string {
	p := "3720114" + g.ihiCore()
	return p + string('0'+(gs1Digit(p)-'0'+1+byte(g.r.IntN(8)))%10)
}

func (g gen) mrn() string {
	switch g.r.IntN(5) {
	case 0:
		return g.pick("A", "H", "M", "RXH") + g.digits(6)
	case 1:
		return "00" + g.digits(5)
	}
	return g.pick("1", "2", "3", "5", "7", "8") + g.digits(5+g.r.IntN(3))
}

func ordinal(d int) string {
	switch {
	case d == 11 || d == 12 || d == 13:
		return fmt.Sprintf("%dth", d)
	case d%10 == 1:
		return fmt.Sprintf("%dst", d)
	case d%10 == 2:
		return fmt.Sprintf("%dnd", d)
	case d%10 == 3:
		return fmt.Sprintf("%drd", d)
	}
	return fmt.Sprintf("%dth", d)
}

// dob writes a date of birth the ways clinicians write them.
func (g gen) dob() string { return g.writeDate(g.date(1925, 2023), true) }

func (g gen) writeDate(dt date, any bool) string {
	n := 7
	if !any {
		n = 4
	}
	switch g.r.IntN(n) {
	case 0:
		return fmt.Sprintf("%02d/%02d/%d", dt.d, dt.m, dt.y)
	case 1:
		return fmt.Sprintf("%d/%d/%02d", dt.d, dt.m, dt.y%100)
	case 2:
		return fmt.Sprintf("%d.%d.%02d", dt.d, dt.m, dt.y%100)
	case 3:
		return fmt.Sprintf("%d-%s-%d", dt.d, monthsLong[dt.m-1][:3], dt.y)
	case 4:
		return fmt.Sprintf("%d-%02d-%02d", dt.y, dt.m, dt.d)
	case 5:
		return fmt.Sprintf("%s %s %d", ordinal(dt.d), monthsLong[dt.m-1], dt.y)
	}
	return fmt.Sprintf("%d %s %d", dt.d, monthsLong[dt.m-1], dt.y)
}

func (g gen) textDate(from, to int) string {
	dt := g.date(from, to)
	if g.r.IntN(2) == 0 {
		return fmt.Sprintf("%s %s %d", ordinal(dt.d), monthsLong[dt.m-1], dt.y)
	}
	return fmt.Sprintf("%d %s %d", dt.d, monthsLong[dt.m-1], dt.y)
}

func (g gen) numDate(from, to int) string {
	dt := g.date(from, to)
	return fmt.Sprintf("%02d/%02d/%d", dt.d, dt.m, dt.y)
}

// Telephone numbers in Irish and UK formats. A third are made to pass the
// modulus 11 check on purpose: they must still not be taken for NHS numbers.
func (g gen) mobileIE() string {
	var d string
	for {
		d = "08" + g.pick("3", "5", "6", "7", "9") + g.digits(7)
		if g.r.IntN(3) != 0 {
			break
		}
		if c, ok := mod11Digit(d[:9]); ok {
			d = d[:9] + string(c)
			break
		}
	}
	switch g.r.IntN(3) {
	case 0:
		return d[:3] + " " + d[3:6] + " " + d[6:]
	case 1:
		return d[:3] + "-" + d[3:]
	}
	return d
}

func (g gen) landlineIE() string {
	switch g.r.IntN(4) {
	case 0:
		return "01 " + g.digits(3) + " " + g.digits(4)
	case 1:
		return "021 4" + g.digits(2) + " " + g.digits(4)
	case 2:
		return "(091) 5" + g.digits(5)
	}
	return "+353 1 " + g.digits(3) + " " + g.digits(4)
}

func (g gen) phoneUK() string {
	switch g.r.IntN(4) {
	case 0:
		return "020 7946 0" + g.digits(3)
	case 1:
		return "0161 496 0" + g.digits(3)
	case 2:
		return "07700 900" + g.digits(3)
	}
	return "+44 113 496 0" + g.digits(3)
}

// isbn10 returns a valid ISBN-10 (English-language groups 0 and 1). Its
// check is the NHS modulus 11 in another guise, so every one of them would
// pass as an NHS or CHI number but for the word ISBN.
func (g gen) isbn10() string {
	for {
		base := g.pick("0", "1") + g.digits(8)
		total := 0
		for i, c := range base {
			total += int(c-'0') * (10 - i)
		}
		c := (11 - total%11) % 11
		if c == 10 {
			continue
		}
		return base + string(byte('0'+c))
	}
}

func (g gen) isbn13() string {
	base := "978" + g.pick("0", "1") + g.digits(8)
	d := base + string(gs1Digit(base))
	return d[:3] + "-" + d[3:4] + "-" + d[4:8] + "-" + d[8:12] + "-" + d[12:]
}

// random10 is a 10-digit reference of the kind systems hand out: random,
// so about one in eleven passes the modulus 11 check by chance.
func (g gen) random10() string { return g.pick("1", "2", "4", "5", "6", "7", "8", "9") + g.digits(9) }

// random7L is a 7-digit code with a letter, about one in 23 of which has
// a PPS check letter by chance.
func (g gen) random7L() string { return g.digits(7) + string(byte('A'+g.r.IntN(26))) }
