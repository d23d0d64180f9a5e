package check

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// docs are the repository's Markdown guides whose links are checked.
var docs = []string{"README.md", "CONTRIBUTING.md"}

// docLinkRE matches a Markdown link to a heading: of the same file
// (](#anchor)) or of another guide (](FILE.md#anchor)).
var docLinkRE = regexp.MustCompile(`\]\(([A-Za-z_-]+\.md)?#([^)\s]+)\)`)

// TestDocLinksResolve checks that every link to a heading in the guides,
// within one or from one to the other, names a heading that exists, so that
// moving a section between them cannot leave a dead link.
func TestDocLinksResolve(t *testing.T) {
	anchors := map[string]map[string]bool{}
	texts := map[string]string{}
	for _, doc := range docs {
		texts[doc] = string(readRepoFile(t, doc))
		anchors[doc] = headingAnchors(texts[doc])
	}
	for _, doc := range docs {
		links := docLinkRE.FindAllStringSubmatch(texts[doc], -1)
		if len(links) == 0 {
			t.Errorf("%s: no links to headings found", doc)
		}
		for _, m := range links {
			target := m[1]
			if target == "" {
				target = doc
			}
			headings, ok := anchors[target]
			if !ok {
				t.Errorf("%s: link %s to %s, which is not one of the checked guides %v", doc, m[0], target, docs)
				continue
			}
			if !headings[m[2]] {
				t.Errorf("%s: link %s names no heading of %s", doc, m[0], target)
			}
		}
	}
}

// headingAnchors returns the anchors GitHub gives the headings of a Markdown
// text outside code blocks: lower case, punctuation dropped, spaces as
// hyphens, and -1, -2... on repeats.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	inCode := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if inCode || !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(title)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		anchor := b.String()
		if n := seen[anchor]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", anchor, n)] = true
		} else {
			anchors[anchor] = true
		}
		seen[anchor]++
	}
	return anchors
}
