package guard

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// pattern is an admin's Pattern, compiled.
type pattern struct {
	label string
	re    *regexp.Regexp
	// must is text every match starts with (after zero-width assertions),
	// lowercased when fold is set: a post without it is not searched.
	must string
	fold bool
	// maxLen bounds the bytes a match spans, or is -1 when unbounded.
	maxLen int
}

// compilePattern checks and compiles the i-th admin pattern.
func compilePattern(i int, p Pattern) (pattern, error) {
	label := strings.TrimSpace(p.Label)
	name := fmt.Sprintf("pattern %d", i+1)
	if label == "" {
		return pattern{}, fmt.Errorf("guard: %s: a label is required", name)
	}
	name = fmt.Sprintf("pattern %d (%s)", i+1, label)
	if strings.TrimSpace(p.Regexp) == "" {
		return pattern{}, fmt.Errorf("guard: %s: the regular expression is empty", name)
	}
	re, err := regexp.Compile(p.Regexp)
	if err != nil {
		return pattern{}, fmt.Errorf("guard: %s: %w", name, err)
	}
	parsed, err := syntax.Parse(p.Regexp, syntax.Perl)
	if err != nil {
		return pattern{}, fmt.Errorf("guard: %s: %w", name, err)
	}
	simple := parsed.Simplify()
	if nullable(simple) {
		return pattern{}, fmt.Errorf("guard: %s: %q can match empty text; require at least one character", name, p.Regexp)
	}
	must, fold := leadingLiteral(simple)
	return pattern{label: label, re: re, must: must, fold: fold, maxLen: maxLength(simple)}, nil
}

// matches finds the pattern's matches in a field. When every match starts
// with known text and spans a bounded length, only short windows around
// that text are searched: a regular expression's cost grows with the length
// of its input, and most posts do not contain the text at all.
func (p *pattern) matches(t *text) [][]int {
	hay := t.s
	if p.fold {
		hay = t.lower
	}
	if p.must == "" || p.maxLen < 0 {
		return p.re.FindAllStringIndex(t.s, 64)
	}
	var out [][]int
	for from := 0; len(out) < 64; {
		i := strings.Index(hay[from:], p.must)
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		// A margin of one character each side lets \b and $ see their
		// context.
		lo, hi := max(0, i-utf8.UTFMax), min(len(t.s), i+p.maxLen+utf8.UTFMax)
		for _, m := range p.re.FindAllStringIndex(t.s[lo:hi], -1) {
			if lo+m[0] == i && m[1] > m[0] {
				out = append(out, []int{i, lo + m[1]})
				from = lo + m[1]
				break
			}
		}
	}
	return out
}

// leadingLiteral returns the literal text every match of re begins with,
// after any zero-width assertions, and whether it is matched ignoring case
// (then it is returned in lower case). It returns "" when there is none.
func leadingLiteral(re *syntax.Regexp) (string, bool) {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	switch re.Op {
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		lit := string(re.Rune)
		if fold {
			lit = strings.ToLower(lit)
			for _, r := range lit {
				// Case folding beyond ASCII (the Kelvin sign, long s) is
				// more than a lowercase search can follow.
				if r >= 0x80 || r == 'k' || r == 's' {
					return "", false
				}
			}
		}
		return lit, fold
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
				continue
			}
			return leadingLiteral(sub)
		}
	}
	return "", false
}

// maxLength returns the most bytes a match of re can span, or -1 when
// there is no bound worth using.
func maxLength(re *syntax.Regexp) int {
	const limit = 256
	var walk func(re *syntax.Regexp) int
	walk = func(re *syntax.Regexp) int {
		switch re.Op {
		case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
			syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary,
			syntax.OpNoWordBoundary, syntax.OpNoMatch:
			return 0
		case syntax.OpLiteral:
			return utf8.UTFMax * len(re.Rune)
		case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			return utf8.UTFMax
		case syntax.OpCapture, syntax.OpQuest:
			return walk(re.Sub[0])
		case syntax.OpRepeat:
			n := walk(re.Sub[0])
			if re.Max < 0 || n < 0 || n*re.Max > limit {
				return -1
			}
			return n * re.Max
		case syntax.OpConcat, syntax.OpAlternate:
			total := 0
			for _, sub := range re.Sub {
				n := walk(sub)
				if n < 0 {
					return -1
				}
				if re.Op == syntax.OpConcat {
					total += n
				} else {
					total = max(total, n)
				}
			}
			if total > limit {
				return -1
			}
			return total
		}
		return -1
	}
	return walk(re)
}

// nullable reports whether a regular expression can match the empty string
// somewhere (zero-width assertions count as matching nothing).
func nullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary,
		syntax.OpNoWordBoundary, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return false
	case syntax.OpCapture, syntax.OpPlus:
		return nullable(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !nullable(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if nullable(s) {
				return true
			}
		}
		return false
	}
	return true
}
