package federation

import "rounds/social/htmlsafe"

// SanitizeHTML returns remote HTML reduced to what is safe to show (the
// sanitiser lives in social/htmlsafe, so that the HTML of local blog posts
// goes through the same one).
func SanitizeHTML(s string) string { return htmlsafe.Sanitize(s) }
