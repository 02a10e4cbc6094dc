package social

import (
	"context"
	"strconv"
	"time"
)

// The admin dashboard's figures (Mastodon's measures, dimensions and
// retention cohorts), drawn from the database. Every key Mastodon knows is
// answered; the few Rounds keeps no data for come back empty.

// MeasureKeys are the measures Mastodon's dashboard asks for; each but
// none is computed (see eventQueries in storage).
var MeasureKeys = []string{
	"active_users", "new_users", "interactions", "opened_reports", "resolved_reports",
	"tag_accounts", "tag_uses", "tag_servers",
	"instance_accounts", "instance_media_attachments", "instance_reports", "instance_statuses", "instance_follows", "instance_followers",
}

// DimensionKeys are the dimensions Mastodon's dashboard asks for.
var DimensionKeys = []string{
	"languages", "sources", "servers", "space_usage", "software_versions",
	"tag_servers", "tag_languages", "instance_accounts", "instance_languages",
}

// MeasureDay is one day of a measure.
type MeasureDay struct {
	Date  time.Time
	Value int64
}

// Measure is one measure over a period, day by day.
type Measure struct {
	Key  string
	Unit string // "" for a count, "bytes"
	// Total over the period, and over the period as long just before it.
	Total, PreviousTotal int64
	Data                 []MeasureDay
}

// distinctMeasures count distinct keys (accounts, servers), not events.
var distinctMeasures = map[string]bool{"active_users": true, "tag_accounts": true, "tag_servers": true}

// DashboardArgs are the extra arguments of measures and dimensions: the
// tag id of the tag_ ones, the domain of the instance_ ones.
type DashboardArgs struct {
	TagID  int64
	Domain string
}

func (d DashboardArgs) forKey(key string) (any, bool) {
	switch {
	case len(key) > 4 && key[:4] == "tag_":
		return d.TagID, d.TagID != 0
	case len(key) > 9 && key[:9] == "instance_":
		return d.Domain, d.Domain != ""
	}
	return nil, true
}

// dayOf is the first instant of t's day (UTC).
func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Measures returns the measures keys from the day of from until the end of
// the day of to, as staff. Unknown keys are left out; a tag_ or instance_
// key without its tag or domain comes back empty.
func (s *Service) Measures(ctx context.Context, a Actor, keys []string, from, to time.Time, args DashboardArgs) ([]Measure, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	start, end := dayOf(from), dayOf(to).AddDate(0, 0, 1)
	if !end.After(start) {
		return nil, invalid("end_at", "must not be before start_at")
	}
	known := map[string]bool{}
	for _, k := range MeasureKeys {
		known[k] = true
	}
	var out []Measure
	for _, key := range keys {
		if !known[key] {
			continue
		}
		m := Measure{Key: key, Data: []MeasureDay{}}
		if key == "instance_media_attachments" {
			m.Unit = "bytes"
		}
		arg, ok := args.forKey(key)
		if !ok {
			out = append(out, m)
			continue
		}
		events, err := s.db.Events(ctx, key, start, end, arg)
		if err != nil {
			return nil, err
		}
		perDay := map[time.Time]int64{}
		perDayKeys := map[time.Time]map[string]bool{}
		allKeys := map[string]bool{}
		for _, e := range events {
			d := dayOf(e.At)
			if distinctMeasures[key] {
				if perDayKeys[d] == nil {
					perDayKeys[d] = map[string]bool{}
				}
				perDayKeys[d][e.Key] = true
				allKeys[e.Key] = true
				continue
			}
			perDay[d] += e.N
			m.Total += e.N
		}
		for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
			v := perDay[d]
			if distinctMeasures[key] {
				v = int64(len(perDayKeys[d]))
			}
			m.Data = append(m.Data, MeasureDay{Date: d, Value: v})
		}
		if distinctMeasures[key] {
			m.Total = int64(len(allKeys))
		}
		prev, err := s.db.Events(ctx, key, start.Add(-end.Sub(start)), start, arg)
		if err != nil {
			return nil, err
		}
		prevKeys := map[string]bool{}
		for _, e := range prev {
			m.PreviousTotal += e.N
			prevKeys[e.Key] = true
		}
		if distinctMeasures[key] {
			m.PreviousTotal = int64(len(prevKeys))
		}
		out = append(out, m)
	}
	return out, nil
}

// DimensionValue is one value of a dimension.
type DimensionValue struct {
	Key, HumanKey string
	Value         int64
	Unit          string // "" for a count, "bytes"
}

// Dimension is a breakdown of something over a period.
type Dimension struct {
	Key  string
	Data []DimensionValue
}

// Dimensions returns the dimensions keys over the period, each with at
// most limit values, as staff. software_versions names this server's
// version; sources (the apps posts come from) is empty, as Rounds does not
// keep it.
func (s *Service) Dimensions(ctx context.Context, a Actor, keys []string, from, to time.Time, limit int, args DashboardArgs, version string) ([]Dimension, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	start, end := dayOf(from), dayOf(to).AddDate(0, 0, 1)
	if limit <= 0 {
		limit = 10
	}
	known := map[string]bool{}
	for _, k := range DimensionKeys {
		known[k] = true
	}
	var out []Dimension
	for _, key := range keys {
		if !known[key] {
			continue
		}
		d := Dimension{Key: key, Data: []DimensionValue{}}
		switch key {
		case "sources":
		case "software_versions":
			d.Data = append(d.Data, DimensionValue{Key: "rounds", HumanKey: "Rounds", Value: 0},
				DimensionValue{Key: "database", HumanKey: string(s.db.Dialect()), Value: 0})
			d.Data[0].HumanKey = "Rounds " + version
		default:
			arg, ok := args.forKey(key)
			if !ok {
				break
			}
			shares, err := s.db.Shares(ctx, key, start, end, arg, limit)
			if err != nil {
				return nil, err
			}
			for _, sh := range shares {
				v := DimensionValue{Key: sh.Key, HumanKey: sh.Key, Value: sh.N}
				if key == "space_usage" {
					v.HumanKey, v.Unit = "Media files", "bytes"
				}
				d.Data = append(d.Data, v)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// CohortPeriod is one period of a cohort: how many of its people were
// active then, and what share of the cohort that is.
type CohortPeriod struct {
	Date  time.Time
	Rate  float64
	Value int64
}

// Cohort is the people who signed up in one period (a day or a month),
// and how many of them were active in each period after.
type Cohort struct {
	Period    time.Time
	Frequency string
	Data      []CohortPeriod
}

// Retention returns the cohorts of people who signed up from from until
// to, by "day" or "month", as staff. Active means posting, boosting or
// favouriting, the activity Rounds records.
func (s *Service) Retention(ctx context.Context, a Actor, from, to time.Time, frequency string) ([]Cohort, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	period := func(t time.Time) time.Time {
		t = dayOf(t)
		if frequency == "month" {
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		return t
	}
	next := func(t time.Time) time.Time {
		if frequency == "month" {
			return t.AddDate(0, 1, 0)
		}
		return t.AddDate(0, 0, 1)
	}
	switch frequency {
	case "day", "month":
	default:
		return nil, invalid("frequency", "must be day or month")
	}
	start, end := period(from), next(period(to))
	if !end.After(start) {
		return nil, invalid("end_at", "must not be before start_at")
	}
	signups, err := s.db.Events(ctx, "new_users", start, end, nil)
	if err != nil {
		return nil, err
	}
	activity, err := s.db.Events(ctx, "active_users", start, end, nil)
	if err != nil {
		return nil, err
	}
	cohortOf := map[string]time.Time{}
	members := map[time.Time]int64{}
	for _, e := range signups {
		p := period(e.At)
		cohortOf[e.Key] = p
		members[p]++
	}
	active := map[[2]time.Time]map[string]bool{}
	for _, e := range activity {
		c, ok := cohortOf[e.Key]
		if !ok {
			continue
		}
		k := [2]time.Time{c, period(e.At)}
		if active[k] == nil {
			active[k] = map[string]bool{}
		}
		active[k][e.Key] = true
	}
	var out []Cohort
	for c := start; c.Before(end); c = next(c) {
		co := Cohort{Period: c, Frequency: frequency, Data: []CohortPeriod{}}
		for p := c; p.Before(end); p = next(p) {
			v := int64(len(active[[2]time.Time{c, p}]))
			if p.Equal(c) {
				v = members[c] // everyone who signed up counts in their first period, as on Mastodon
			}
			rate := 0.0
			if members[c] > 0 {
				rate = float64(v) / float64(members[c])
			}
			co.Data = append(co.Data, CohortPeriod{Date: p, Rate: rate, Value: v})
		}
		out = append(out, co)
	}
	return out, nil
}

// ParseDashboardTime reads a dashboard date: an ISO 8601 date or time.
func ParseDashboardTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, invalid("date", strconv.Quote(s)+" is not an ISO 8601 date")
}
