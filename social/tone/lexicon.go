package tone

import (
	"regexp"
	"strings"
)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// strongInsults are insults whatever they are aimed at.
var strongInsults = set(`idiot idiots idiotic moron morons moronic imbecile imbeciles cretin cretins
	halfwit dimwit nitwit numpty numpties muppet muppets dickhead dickheads asshole assholes arsehole
	arseholes prick pricks twat twats wanker wankers tosser tossers bellend dumbass jackass smartass
	buffoon buffoons ignoramus windbag clown clowns snowflake loser losers lout crank cranks snitch
	knobhead plonker pillock berk imbecilic scumbag scumbags`)

// aimedInsults are insults only when aimed at a person: "your comment is
// stupid" is heated, "a stupid bug in the EPR" is not.
var aimedInsults = set(`stupid stupidity dumb dumber dumbest thick dim incompetent incompetence useless
	pathetic ignorant ignorance clueless fool fools foolish liar liars lying fraud quack charlatan joke
	disgrace embarrassment hack shill troll trolls trolling lazy arrogant coward cowardly spineless smug
	pompous condescending hypocrite hypocrites bigot narcissist vile nasty worthless obtuse negligent
	dishonest insane deficient garbage rubbish drivel crap nonsense tool prat cow menace liability
	parasite hysterical miserable revolting dinosaur sad disgusting snake self-righteous righteous
	brainless witless gormless deluded delusional moronic thicko`)

// acronyms are capitalised words that are never shouting.
var acronyms = set(`NHS ICU HDU CCU ITU COPD NICE GMC BMA RCN RCP RCGP CQC MHRA WHO CDC ECG EKG CT MRI BNF RCT
	NNT INR PE DVT MRSA VRE CPE EPR HR FY1 FY2 GP ED A&E DNACPR ROSC NEWS NEWS2 ADA EASD ESC SGLT2 GLP
	ACE PPE PPI PPV BMJ CKD CCF HCW HCWs FFP3 CTPA STEMI NSTEMI IV OK UK USA EU CRP RV DVLA MDT MI AKI
	UTI TIA BP COVID SARS NG51 T2DM NSAID NSAIDS NSAIDs ABG VBG CPAP BIPAP NIV AF ACS LMWH DOAC
	NMC HCPC RCEM RCOG RCPCH JAMA NEJM UKHSA PHE SIGN HSE OT SALT ANP ACP PA PAs SHO SpR LOL`)

// shoutWords are short common words: in capitals they are raised voice,
// not an acronym.
var shoutWords = set(`you your are the and not stop read do is it me my why what so no get can did even
	this how who wow omg all for off shut up now ever was he she they him her them our out just
	must dare won't don't can't look here go on of to in at be we i am a an or if that with its
	it's too very wake lies lie real job sick`)

// phraseRule is a phrase in lower-cased text that reads as heated.
type phraseRule struct {
	re     *regexp.Regexp
	weight float64
	reason string // with %s for the words found
	hint   string // letters every match holds, to skip the rule quickly
}

// literalHint is the run of plain letters a pattern starts with (after
// \b), which every match contains.
func literalHint(p string) string {
	p = strings.TrimPrefix(p, `\b`)
	end := 0
	for end < len(p) && (p[end] >= 'a' && p[end] <= 'z' || p[end] == ' ' || p[end] == '\'') {
		end++
	}
	if end < len(p) && strings.ContainsRune("?*{", rune(p[end])) && end > 0 {
		end-- // the last letter is optional
	}
	return p[:end]
}

func rules(weight float64, reason string, patterns ...string) []phraseRule {
	out := make([]phraseRule, len(patterns))
	for i, p := range patterns {
		out[i] = phraseRule{regexp.MustCompile(p), weight, reason, literalHint(p)}
	}
	return out
}

func join(groups ...[]phraseRule) []phraseRule {
	var out []phraseRule
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

var phraseRules = join(
	rules(Threshold, "swears at someone: '%s'",
		`\bfuck\w*`, `\bbull ?shit\w*`, `\bshit\w*`, `\bpiss(ed)? off\b`, `\bscrew (you|off)\b`,
		`\bgo to hell\b`, `\b(who|what|why) the (hell|heck|fuck)\b`, `\bshut (up|it|your)\b`,
		`\b(sod|bugger|jog|clear) off\b`, `\bjog on\b`, `\bget lost\b`, `\bdrop dead\b`,
		`\bgive a (toss|damn|shit|fuck)\b`, `\bhead out of your (arse|ass|backside|butt)\b`,
		`\byour crap\b`, `\bfull of (it|crap|shit)\b`, `\bgo away\b`, `\bcrawl back\b`),
	rules(0.5, "mild swearing: '%s'", `\bdamn\b`, `\bbloody hell\b`, `\bcrap\b`),
	rules(0.7, "blames someone harshly: '%s'", `\byou screwed\b`, `\bscrewed over\b`),
	rules(Threshold, "sounds like a threat: '%s'",
		`\bi'?ll (make sure|find|come|knock|have your|make your life|see you in court|get you)\b`,
		`\byou'?ll regret\b`, `\bwatch your back\b`, `\bor else\b`, `\bi know where you\b`,
		`\bfind out where you\b`, `\bcome down to your\b`, `\bknock your\b`,
		`\bhope (you|they) (get|die|lose|rot|burn)\b`, `\bsee you in court\b`,
		`\b(report|reporting) you\b`, `\bjust watch\b`, `\byou'?ll be sorry\b`,
		`\btake your (licen[cs]e|job|registration) away\b`, `\bkeep talking like that\b`,
		`\bif you say that again\b`, `\bnever work in this\b`, `\bbefore you kill\b`,
		`\bsued into oblivion\b`, `\bmake your life hell\b`),
	rules(Threshold, "talks down to someone: '%s'",
		`\bhow dare you\b`, `\byou dare\b`, `\bcereal box\b`, `\bwhen you'?ve been qualified\b`, `\bbrain-dead\b`, `\byou always (do|get it|mess)\b`, `\b(did|do|have|can) you even\b`, `\blearn to read\b`,
		`\bgo back to (medical |med |nursing )?school\b`, `\bget a clue\b`,
		`\byou (clearly )?have no idea\b`, `\bnobody (cares|asked you|asked for your|wants to hear|wants your|gives a)\b`,
		`\bstay in your lane\b`, `\bget back in your box\b`, `\bknow your place\b`, `\bhigh horse\b`,
		`\bembarrassing yourself\b`, `\byou should be (ashamed|embarrassed)\b`, `\bshame on you\b`,
		`\bshould be struck off\b`, `\bshould never have been allowed\b`, `\bnot fit to practi[sc]e\b`,
		`\byou should (resign|retire|quit)\b`, `\bshould be (sacked|fired)\b`,
		`\bdo (us|the world|everyone) a favour and\b`, `\bdelete your account\b`, `\bgrow up\b`,
		`\bgrow a brain\b`, `\buse your brain\b`, `\busing your brain\b`, `\bbrain cells?\b`,
		`\bfor once in your\b`, `\bexplain (it|this|that) slowly\b`, `\beven you\b`,
		`\beven a (first.year|child|student)\b`, `\b(trained monkey|child) could\b`,
		`\bleave the thinking\b`, `\bgrown.ups\b`, `\bbless your (heart|little)\b`, `\bsweetie\b`,
		`\b(oh|listen|look),? honey\b`, `\blittle (girl|boy|man|woman|know.it.all|liar|snitch)\b`,
		`\bknow.it.all\b`, `\bcall yourself a\b`, `\bso.called\b`, `\bglorified\b`,
		`\bdon'?t make me laugh\b`, `\bwhat are you,? (five|five years old|a child)\b`,
		`\bcry me a river\b`, `\bkeep crying\b`, `\bgo cry\b`, `\bdrama queen\b`,
		`\bstop (whining|complaining|crying|talking)\b`, `\bspare (me|us)(,| the| your|\.|$)`,
		`\bimagine (being this|thinking you)\b`, `\byou people\b`, `\bnothing you say\b`,
		`\bmet smarter\b`, `\breal doctor\b`, `\bfake degree\b`, `\blaughing stock\b`,
		`\beducate yourself\b`, `\bpull your finger out\b`, `\binsult (our|my) intelligence\b`,
		`\byou'?(re| are) (a|the) (waste|reason|danger)\b`, `\bwaste of (space|oxygen|a training)\b`,
		`\bhow (thick|stupid|dumb|dim) (can|are|is)\b`, `\b(zero|no) brains\b`,
		`\bhead(s)? examined\b`, `\bfor once\b`, `\bbeneath contempt\b`,
		`\bclearly you (slept|have no|never|don'?t)\b`, `\byou'?ve clearly never\b`,
		`\btoo busy posting\b`, `\bcan'?t believe they let\b`, `\bgo (and )?crawl\b`,
		`\b(keep|get) your \w+ (opinions|mouth|nose)\b`, `\bflat out wrong\b`,
		`\bsick of (clowns|idiots|you|people like you)\b`, `\bstop being (a|an|such|so)\b`,
		`\bmentally (deficient|challenged|defective)\b`, `\bare you (actually |really |just )?(insane|mad|serious|kidding|thick|stupid|high|drunk)\b`),
	rules(Threshold, "sarcasm aimed at a person: '%s'",
		`\b(well done|nice one|nice going|good job|great job|thanks|thank you|brilliant work|bravo|congrat\w*|sure|ok|okay|oh|wow|great)\b[^.!?]{0,40}\b(genius|einstein|sherlock|captain obvious|wise one)\b`,
		`\b(einstein|sherlock|captain obvious|oh wise one|smarty ?pants)\b`,
		`, (genius|professor|doctor|doc|champ|sunshine)[.!?]*$`,
		`\banother (genius|expert|einstein)\b`, `\bthe expert has arrived\b`, `\bbow down\b`,
		`\baren'?t you a genius\b`, `\b(oh )?sure,? because\b`, `\bbecause you (obviously|clearly)\b`,
		`\bobviously know(s)? (better|more)\b`, `\bmust be nice\b`, `\bmansplain\w*\b`,
		`\bthanks for (nothing|the lecture|the sermon)\b`,
		`\b(fantastic|great|brilliant|well done|bravo|nice|congratulations)\b[^.]{0,40}\b(killing|managed to insult|found the obvious|discovering what)\b`,
		`\byour "[^"]{1,30}"`, `\byeah,? right[.!]`, `\bpull the other one\b`, `\bsure,? jan[.!]`,
		`\bwhatever you say\b`, `\bnow you'?re an? \w+\?`, `\bcomfort of (their|your) sofa\b`,
		`\barmchair (expert|epidemiologist|doctor)\b`, `\bkeyboard warrior\b`, `\bdr\.? google\b`,
		`\brich coming from\b`, `\bcute[.!]`, `\bdunning.kruger\b.{0,20}\b(mate|pal|you)\b`,
		`\b(your|you).{0,20}\bdunning.kruger\b`),
	rules(0.5, "mocking: '%s'", `\blol\b`, `\blmao\b`, `\bugh\b`, `\boh please\b`),
)
