package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"rounds/social"
)

func init() { adminGroups["settings"] = settingsCommand }

// settingKeys are what `rounds admin settings set` changes, each with how
// to apply a value.
var settingKeys = map[string]func(st *social.Settings, v string) error{
	"send-delay": func(st *social.Settings, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("send-delay must be a duration such as 60s or 2m")
		}
		sd := social.Duration(d)
		st.SendDelay = &sd
		return nil
	},
	"guard-policy": func(st *social.Settings, v string) error { st.GuardPolicy = v; return nil },
	"require-staff-two-factor": func(st *social.Settings, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("require-staff-two-factor must be true or false")
		}
		st.RequireStaffTwoFactor = b
		return nil
	},
	"tone-policy": func(st *social.Settings, v string) error { st.TonePolicy = v; return nil },
	"tone-hold-delay": func(st *social.Settings, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("tone-hold-delay must be a duration such as 15m")
		}
		sd := social.Duration(d)
		st.ToneHoldDelay = &sd
		return nil
	},
	"registrations":   func(st *social.Settings, v string) error { st.RegistrationsMode = v; return nil },
	"federation-mode": func(st *social.Settings, v string) error { st.FederationMode = v; return nil },
}

// settingsCommand runs `rounds admin settings show`, `set KEY VALUE`,
// `guard-pattern add LABEL REGEXP`, `guard-pattern remove LABEL` and
// `tone-word add|remove flag|allow WORD`.
func settingsCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	keys := make([]string, 0, len(settingKeys))
	for k := range settingKeys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	usage := &usageError{"admin settings: show | set KEY VALUE (KEY: " + strings.Join(keys, ", ") + ") | guard-pattern add LABEL REGEXP | guard-pattern remove LABEL | tone-word add|remove flag|allow WORD"}
	if len(args) == 0 {
		args = []string{"show"}
	}
	var change func(st *social.Settings) error
	rest := args[1:]
	var words []string
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		words, rest = append(words, rest[0]), rest[1:]
	}
	switch {
	case args[0] == "show" && len(words) == 0:
	case args[0] == "set" && len(words) == 2:
		apply, ok := settingKeys[words[0]]
		if !ok {
			return usage
		}
		change = func(st *social.Settings) error { return apply(st, words[1]) }
	case args[0] == "guard-pattern" && len(words) == 3 && words[0] == "add":
		change = func(st *social.Settings) error {
			st.GuardPatterns = append(st.GuardPatterns, social.IdentifierPattern{Label: words[1], Regexp: words[2]})
			return nil
		}
	case args[0] == "guard-pattern" && len(words) == 2 && words[0] == "remove":
		change = func(st *social.Settings) error {
			n := len(st.GuardPatterns)
			st.GuardPatterns = slices.DeleteFunc(st.GuardPatterns, func(p social.IdentifierPattern) bool { return p.Label == words[1] })
			if len(st.GuardPatterns) == n {
				return fmt.Errorf("there is no pattern labelled %q", words[1])
			}
			return nil
		}
	case args[0] == "tone-word" && len(words) == 3:
		if change = toneWordChange(words[0], words[1], words[2]); change == nil {
			return usage
		}
	default:
		return usage
	}
	cfg, err := parseCommand("admin settings "+args[0], rest, stderr, getenv, false, nil)
	if err != nil {
		return err
	}
	svc, closeDB, err := adminService(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	st, err := svc.Settings(ctx)
	if err != nil {
		return err
	}
	if change != nil {
		var applyErr error
		st, err = svc.UpdateSettings(ctx, social.CommandLine, func(s *social.Settings) { applyErr = change(s) })
		if applyErr != nil {
			return applyErr
		}
		if err != nil {
			return adminErr(err)
		}
	}
	delay := social.DefaultSendDelay
	if st.SendDelay != nil {
		delay = time.Duration(*st.SendDelay)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "registrations\t%s\n", st.RegistrationsMode)
	fmt.Fprintf(tw, "send-delay\t%s\n", delay)
	fmt.Fprintf(tw, "guard-policy\t%s\n", st.GuardPolicy)
	for _, p := range st.GuardPatterns {
		fmt.Fprintf(tw, "guard-pattern\t%s: %s\n", p.Label, p.Regexp)
	}
	fmt.Fprintf(tw, "tone-policy\t%s\n", st.TonePolicy)
	fmt.Fprintf(tw, "tone-hold-delay\t%s\n", st.HoldDelay())
	for _, w := range st.ToneFlagWords {
		fmt.Fprintf(tw, "tone-word\tflag %s\n", w)
	}
	for _, w := range st.ToneAllowWords {
		fmt.Fprintf(tw, "tone-word\tallow %s\n", w)
	}
	fmt.Fprintf(tw, "require-staff-two-factor\t%t\n", st.RequireStaffTwoFactor)
	fmt.Fprintf(tw, "federation-mode\t%s\n", st.FederationMode)
	fmt.Fprintf(tw, "question-tag\t%s\n", st.QuestionTag)
	return tw.Flush()
}

// toneWordChange is `tone-word add|remove flag|allow WORD`: words the tone
// check always flags or never does. It is nil for other words.
func toneWordChange(op, list, word string) func(st *social.Settings) error {
	word = strings.ToLower(strings.TrimSpace(word))
	pick := func(st *social.Settings) *[]string {
		if list == "flag" {
			return &st.ToneFlagWords
		}
		return &st.ToneAllowWords
	}
	if list != "flag" && list != "allow" {
		return nil
	}
	switch op {
	case "add":
		return func(st *social.Settings) error {
			if l := pick(st); !slices.Contains(*l, word) {
				*l = append(*l, word)
			}
			return nil
		}
	case "remove":
		return func(st *social.Settings) error {
			l := pick(st)
			n := len(*l)
			*l = slices.DeleteFunc(*l, func(w string) bool { return w == word })
			if len(*l) == n {
				return fmt.Errorf("%q is not on the %s list", word, list)
			}
			return nil
		}
	}
	return nil
}
