package guard

// The check-digit rules below are written from the published descriptions
// of each scheme; the comments name where a rule comes from.

// nhsCheck reports whether ten digits (0-9 values) carry a valid NHS-style
// modulus 11 check digit: the first nine digits weighted 10 down to 2, the
// check digit 11 minus the remainder, 11 read as 0 and 10 never issued.
// NHS numbers, Northern Ireland H&C numbers, CHI numbers and the core of an
// Irish IHI all use it.
func nhsCheck(d []byte) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]) * (10 - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && c == int(d[9])
}

// luhnCheck reports whether digits carry a valid Luhn (ISO/IEC 7812-1)
// check digit at the end. Public Health Scotland issues some CHI numbers
// with a Luhn ("modulus 10") check digit from 2026, once the modulus 11
// numbers for a birth date run out.
func luhnCheck(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i])
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// gs1Check reports whether digits end in a valid GS1 check digit: from the
// right, excluding the check digit, weights alternate 3, 1, 3 ...; the check
// digit brings the sum up to a multiple of ten (GS1 General Specifications,
// "check digit calculation", the same for all GS1 numbers).
func gs1Check(d []byte) bool {
	sum := 0
	w := 3
	for i := len(d) - 2; i >= 0; i-- {
		sum += int(d[i]) * w
		w = 4 - w
	}
	return (10-sum%10)%10 == int(d[len(d)-1])
}

// ppsCheckLetter returns the check character of an Irish PPS number from its
// seven digits and the optional letter in position 9 (0 when absent). The
// Revenue rule: digits weighted 8 down to 2; a position-9 letter A-I counts
// as 1-9 with weight 9, while W, T, X or no letter count 0 (numbers issued
// before 2013, whose check ignores position 9); the sum modulo 23 gives the
// letter, 1-22 as A-V and 0 as W.
func ppsCheckLetter(digits []byte, second byte) (byte, bool) {
	sum := 0
	for i := 0; i < 7; i++ {
		sum += int(digits[i]) * (8 - i)
	}
	switch {
	case second == 0, second == 'W', second == 'T', second == 'X':
	case second >= 'A' && second <= 'I':
		sum += 9 * int(second-'A'+1)
	default:
		return 0, false
	}
	r := sum % 23
	if r == 0 {
		return 'W', true
	}
	return byte('A' + r - 1), true
}

// validDayMonth reports whether day/month exist in a year; yy is the year
// (two-digit years are taken as leap when divisible by four, which is right
// for every year a living person was born in).
func validDayMonth(day, month, year int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && !leap(year) {
		days = 28
	}
	return day <= days
}

func leap(y int) bool {
	if y < 100 {
		return y%4 == 0
	}
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}
