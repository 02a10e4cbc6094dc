// Command rounds is the Rounds server: a federated microblog for clinicians.
//
//	rounds [serve] [flags]   run the server (the default)
//	rounds migrate [flags]   bring the database schema up to date
//	rounds admin ...         manage accounts from the shell
//	rounds version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

const usage = `Rounds is a federated microblog server for clinicians.

Usage:
  rounds [serve] [flags]      run the server (the default command)
  rounds migrate [flags]      bring the database schema up to date
  rounds admin account create --username U [--email E] [--password P] [--role user|moderator|admin|owner]
  rounds admin account list [--pending] [--suspended]
  rounds admin account approve|reject|warn|limit|unlimit|suspend|unsuspend|disable|enable|delete USERNAME [--reason R]
  rounds admin account verify USERNAME --profession P --regulator R --registration-number N [--organisation O] [--specialty S] [--recheck YYYY-MM-DD]
  rounds admin account unverify USERNAME [--reason R]
  rounds admin account role USERNAME --role user|moderator|admin|owner
  rounds admin account reset-password USERNAME [--password P | --link]
  rounds admin account reset-two-factor USERNAME [--reason R]
  rounds admin token create --username U --scopes "read write follow"
  rounds admin domain block DOMAIN [--severity silence|suspend|noop] [--reject-media] [--reject-reports] [--reason R]
  rounds admin domain unblock|allow|disallow DOMAIN
  rounds admin domain list
  rounds admin domain mode open|allowlist
  rounds admin email-domain-block add DOMAIN | list | remove DOMAIN
  rounds admin canonical-email-block add EMAIL|HASH | list | remove EMAIL|HASH | test EMAIL
  rounds admin ip-block add CIDR --severity sign_up_requires_approval|sign_up_block|no_access [--comment C] [--expires-in D] | list | remove CIDR
  rounds admin relay add URL | list | remove|enable|disable RELAY   (RELAY: its ID or URL)
  rounds admin audit [--csv] [--limit N]
  rounds admin seed --accounts A --statuses S --follows F --reader NAME   fill the database for load tests
  rounds admin invite create|list|revoke ...
  rounds admin registrations [closed|invite|approval]
  rounds admin settings [show | set KEY VALUE | guard-pattern add LABEL REGEXP | guard-pattern remove LABEL | tone-word add|remove flag|allow WORD]
  rounds admin instance set-document extended_description|privacy_policy|terms_of_service FILE [--effective-date YYYY-MM-DD]
  rounds admin guidance set FILE | show | pending
  rounds admin backup --to FILE       back up the database and media (a .tar.gz) while the server runs
  rounds admin restore --from FILE     restore a backup into an empty data directory and database
  rounds version              print the version

Every flag can also be set with the environment variable ROUNDS_<FLAG>, for
example --domain with ROUNDS_DOMAIN; a flag on the command line wins.
Run 'rounds COMMAND -h' for the flags of a command.
`

// exitUsage is the exit code for a command line that cannot be understood.
const exitUsage = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run carries out one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serveCommand(ctx, args, stderr, getenv, serveHooks{})
	case "migrate":
		err = migrateCommand(ctx, args, stdout, stderr, getenv)
	case "admin":
		err = adminCommand(ctx, args, stdout, stderr, getenv)
	case "version":
		fmt.Fprintf(stdout, "rounds %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "rounds: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	return exitCode(err, stderr)
}

// usageError is a command line that cannot be understood.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var se *settingError
	var ue *usageError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "rounds: %v\n", err)
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "rounds: %v\n\n%s", err, usage)
		return exitUsage
	case errors.Is(err, errFlagsReported):
		return exitUsage
	}
	fmt.Fprintf(stderr, "rounds: %v\n", err)
	return 1
}

// errFlagsReported means the flag package already printed the problem and
// the command's usage.
var errFlagsReported = errors.New("bad flags")

// parseCommand parses a subcommand's flags and validates them.
func parseCommand(name string, args []string, stderr io.Writer, getenv func(string) string, serve bool, extra func(fs *flag.FlagSet)) (*config, error) {
	fs := flag.NewFlagSet("rounds "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var rc rawConfig
	addCommonFlags(fs, &rc)
	if serve {
		addServeFlags(fs, &rc)
	}
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, getenv); err != nil {
		return nil, err
	}
	if serve {
		// Undocumented, for interoperability tests: publish each key as a
		// document of its own with a keyId without a fragment, the way
		// GoToSocial does.
		rc.keyDocuments = getenv("ROUNDS_KEY_DOCUMENTS") == "1"
		// Undocumented, for interoperability tests: signatures in
		// draft-cavage only, as a server without RFC 9421.
		rc.cavageOnly = getenv("ROUNDS_TEST_SIGNATURES") == "cavage"
		// Undocumented, for tests: how far ahead a post may be scheduled
		// at the earliest, instead of Mastodon's five minutes.
		rc.scheduleMinOffset = getenv("ROUNDS_TEST_SCHEDULE_MIN_OFFSET")
		// Undocumented, for tests: the wait before a reply paused by the
		// tone check may be sent again, instead of a minute.
		rc.toneRetryWait = getenv("ROUNDS_TEST_TONE_RETRY_WAIT")
		// Undocumented, for tests: the API's requests per 5 minutes per
		// token or address, instead of Mastodon's 300.
		rc.rateLimit = getenv("ROUNDS_TEST_RATE_LIMIT")
	}
	return rc.validate(serve)
}
