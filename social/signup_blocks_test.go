package social_test

import (
	"testing"

	"rounds/social"
)

func TestCanonicalEmailDropsDotsAndTagFromTheLocalPart(t *testing.T) {
	for in, want := range map[string]string{
		"Jane.Doe@Example.ORG":         "janedoe@example.org",
		" j.a.n.e+news+more@x.example": "jane@x.example",
		"jane@ex.ample.org":            "jane@ex.ample.org", // dots in the domain stay
		"+only@x.example":              "@x.example",
	} {
		if got := social.CanonicalEmail(in); got != want {
			t.Errorf("CanonicalEmail(%q) = %q, want %q", in, got, want)
		}
	}
	// Two spellings of one address meet.
	if social.CanonicalEmailHash("Jane.Doe+x@example.org") != social.CanonicalEmailHash("janedoe@EXAMPLE.org") {
		t.Error("two spellings of one address hash apart")
	}
}

func TestParseIPNetworkStoresTheNetworkWithHostBitsZero(t *testing.T) {
	good := map[string]string{
		"192.0.2.7":        "192.0.2.7/32",
		" 192.0.2.7/24 ":   "192.0.2.0/24",
		"2001:DB8::1":      "2001:db8::1/128",
		"2001:db8:1::5/32": "2001:db8::/32",
		"0.0.0.0/0":        "0.0.0.0/0",
	}
	for in, want := range good {
		if got, err := social.ParseIPNetwork(in); err != nil || got != want {
			t.Errorf("ParseIPNetwork(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "192.0.2.300", "192.0.2.0/33", "example.org", "fe80::1%eth0", "10.0.0.0/8/8"} {
		if got, err := social.ParseIPNetwork(bad); err == nil {
			t.Errorf("ParseIPNetwork(%q) = %q, want an error", bad, got)
		}
	}
}
