package social

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Mail is one plain-text email.
type Mail struct {
	To      string
	Subject string
	Text    string
}

// Mailer sends email. A Service without one sends none: confirmations are
// skipped and admins hand out password reset links themselves.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// SMTPOptions configures an SMTPMailer.
type SMTPOptions struct {
	Host string
	// Port is 587 (submission, upgraded with STARTTLS) when zero; on 465
	// the connection is TLS from the start.
	Port     int
	Username string
	Password string
	// From is the sender address, such as "Rounds <rounds@example.org>".
	From string
	// Timeout bounds one whole delivery; 30 seconds when zero.
	Timeout time.Duration
}

// SMTPMailer sends email through an SMTP server with net/smtp, upgrading the
// connection with STARTTLS whenever the server offers it. It authenticates
// only over TLS (or to a server on this machine), so a password never
// crosses the network in the clear.
type SMTPMailer struct {
	opts SMTPOptions
	from *mail.Address
}

// NewSMTPMailer checks opts and returns the mailer.
func NewSMTPMailer(opts SMTPOptions) (*SMTPMailer, error) {
	if opts.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	if opts.Port == 0 {
		opts.Port = 587
	}
	if opts.Port < 1 || opts.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d is out of range", opts.Port)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: the sender %q is not an email address: %w", opts.From, err)
	}
	return &SMTPMailer{opts: opts, from: from}, nil
}

// Send delivers m.
func (sm *SMTPMailer) Send(ctx context.Context, m Mail) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("smtp: the recipient %q is not an email address: %w", m.To, err)
	}
	msg, err := sm.message(to, m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sm.opts.Timeout)
	defer cancel()
	addr := net.JoinHostPort(sm.opts.Host, strconv.Itoa(sm.opts.Port))
	tlsConfig := &tls.Config{ServerName: sm.opts.Host, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	if sm.opts.Port == 465 {
		conn, err = (&tls.Dialer{Config: tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, sm.opts.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %s: %w", addr, err)
	}
	defer c.Close()
	if sm.opts.Port != 465 {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return fmt.Errorf("smtp: STARTTLS with %s: %w", addr, err)
			}
		}
	}
	if sm.opts.Username != "" {
		// PlainAuth itself refuses to send the password over a connection
		// that is neither TLS nor to localhost.
		if err := c.Auth(smtp.PlainAuth("", sm.opts.Username, sm.opts.Password, sm.opts.Host)); err != nil {
			return fmt.Errorf("smtp: sign in to %s as %s: %w", addr, sm.opts.Username, err)
		}
	}
	if err := c.Mail(sm.from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: send message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: send message: %w", err)
	}
	return c.Quit()
}

// message writes m as an RFC 5322 message in UTF-8, quoted-printable, with
// header values encoded so that nothing in them can start a new header.
func (sm *SMTPMailer) message(to *mail.Address, m Mail) ([]byte, error) {
	var b bytes.Buffer
	domain := sm.from.Address[strings.LastIndex(sm.from.Address, "@")+1:]
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", sm.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", strings.Join(strings.Fields(m.Subject), " ")))
	header("Date", time.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+randomToken(18)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// MailConfigured reports whether the server sends email.
func (s *Service) MailConfigured() bool { return s.mailer != nil }

// The emails the server sends, each a job so that a failing mail server
// delays them but loses none.
const (
	mailConfirmEmail  = "confirm_email"
	mailPasswordReset = "password_reset"
)

// MailArgs is the job that sends one email to a local user. The link in it
// is made when the job runs, so no secret waits in the job queue.
type MailArgs struct {
	Message string `json:"message"`
	UserID  int64  `json:"user_id,string"`
}

// Kind names the job kind.
func (MailArgs) Kind() string { return "send_mail" }

// InsertOpts retries for about a day: a mail server may be down for a while.
func (MailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

type mailWorker struct {
	river.WorkerDefaults[MailArgs]
	s *Service
}

// Work makes the email's one-time link and sends it. A retry makes a new
// link; the unused one expires on its own.
func (w *mailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	s := w.s
	if s.mailer == nil {
		s.log.Warn("an email was queued but this server sends no email; dropped it", "message", job.Args.Message, "user_id", job.Args.UserID)
		return nil
	}
	u, err := s.db.UserWithAccountByID(ctx, job.Args.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	if u.Email == nil {
		return nil
	}
	var m Mail
	switch job.Args.Message {
	case mailConfirmEmail:
		if u.ConfirmedAt != nil {
			return nil
		}
		link, err := s.newEmailConfirmation(ctx, u)
		if err != nil {
			return err
		}
		m = confirmationMail(s.domain, u, link)
	case mailPasswordReset:
		link, err := s.newPasswordReset(ctx, s.db, u)
		if err != nil {
			return err
		}
		m = passwordResetMail(s.domain, u, link)
	default:
		return river.JobCancel(fmt.Errorf("unknown email %q", job.Args.Message))
	}
	m.To = *u.Email
	return s.mailer.Send(ctx, m)
}

func confirmationMail(domain string, u *storage.User, link string) Mail {
	return Mail{
		Subject: "Confirm your email address for " + domain,
		Text: "Hello @" + u.Account.Username + ",\n\n" +
			"Someone, probably you, signed up at " + domain + " with this address. Open this link to confirm it:\n\n" +
			link + "\n\n" +
			"The link works once, for " + humanDuration(EmailConfirmationLifetime) + ". If you did not sign up, ignore this email.\n",
	}
}

func passwordResetMail(domain string, u *storage.User, link string) Mail {
	return Mail{
		Subject: "Reset your password on " + domain,
		Text: "Hello @" + u.Account.Username + ",\n\n" +
			"Someone, probably you, asked to reset the password of your account on " + domain + ". Open this link to choose a new one:\n\n" +
			link + "\n\n" +
			"The link works once, for " + humanDuration(PasswordResetLifetime) + ". If you did not ask, ignore this email: your password stays as it is.\n",
	}
}

// humanDuration words whole hours and days: "1 hour", "2 days".
func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return d.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
