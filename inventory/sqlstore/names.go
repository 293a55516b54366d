package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// The Name filter is a case-sensitive substring match. A trigram index
// serves it (an FTS5 trigram table on SQLite, pg_trgm on PostgreSQL), but
// intersecting every trigram of the needle reads the long lists of its
// common trigrams. name_trigram_counts holds how many names hold each
// trigram, kept in the transactions that write assets, so a query probes
// the index for the needle's rarest trigrams only and checks the whole
// needle on the few rows they select.

// nameTrigrams returns the distinct runs of three characters of name, in
// order of first appearance, with ASCII letters lower-cased when
// foldASCII is set.
func nameTrigrams(name string, foldASCII bool) []string {
	if foldASCII {
		name = asciiLower(name)
	}
	var starts []int
	for i := range name {
		starts = append(starts, i)
	}
	var out []string
	for i := 0; i+2 < len(starts); i++ {
		end := len(name)
		if i+3 < len(starts) {
			end = starts[i+3]
		}
		if t := name[starts[i]:end]; !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// applyTrigramCounts adds the changes d to name_trigram_counts. A
// trigram no name holds any more keeps its row, at zero.
func (s *Store) applyTrigramCounts(ctx context.Context, tx *sql.Tx, d map[string]int64) error {
	keys := slices.Sorted(maps.Keys(d))
	keys = slices.DeleteFunc(keys, func(k string) bool { return d[k] == 0 })
	const chunk = 1000 // 2 arguments each
	for start := 0; start < len(keys); start += chunk {
		b := builder{d: &s.d}
		b.write("INSERT INTO name_trigram_counts (trgm, n) VALUES ")
		for i, k := range keys[start:min(start+chunk, len(keys))] {
			if i > 0 {
				b.write(", ")
			}
			b.write("(", b.arg(k), ", ", b.arg(d[k]), ")")
		}
		b.write(" ON CONFLICT (trgm) DO UPDATE SET n = name_trigram_counts.n + excluded.n")
		if _, err := tx.ExecContext(ctx, b.sb.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: update name trigram counts: %w", err)
		}
	}
	return nil
}

// nameProbe is what the index looks up for a Name filter; the zero value
// looks up the whole needle, as the index would unaided.
type nameProbe struct {
	// match is, on SQLite, an FTS5 query of the chosen trigrams.
	match string
	// window is, on PostgreSQL, the substring of the needle whose
	// trigrams the pg_trgm index looks up.
	window string
}

// recheckCost is what reading one candidate row and checking the needle
// on it costs, in units of one entry of an index's list of the names
// holding a trigram.
const recheckCost = 50

// probeCost estimates the cost of looking up trigrams of the given counts
// among total names: the index reads each trigram's list, then every name
// holding them all is read and checked, their number estimated as if the
// trigrams were independent.
func probeCost(counts []int64, total int64) float64 {
	var read float64
	rows := float64(max(total, 1))
	for _, c := range counts {
		read += float64(c)
		rows *= float64(c) / float64(max(total, 1))
	}
	return read + recheckCost*rows
}

// namePlan chooses, from name_trigram_counts, which trigrams of the Name
// filter's needle the index looks up. A needle without a trigram, or
// (on SQLite) one that is not valid UTF-8, gets the zero probe.
func (s *Store) namePlan(ctx context.Context, tx *sql.Tx, name string) (*nameProbe, error) {
	if utf8.RuneCountInString(name) < 3 || !utf8.ValidString(name) {
		return &nameProbe{}, nil
	}
	trgms := nameTrigrams(name, s.d.foldTrigrams)
	counts, total, err := s.trigramCounts(ctx, tx, trgms)
	if err != nil {
		return nil, err
	}
	if s.d.name == "postgres" {
		return &nameProbe{window: s.rarestWindow(name, counts, total)}, nil
	}
	// The k rarest trigrams, for the k of least estimated cost.
	slices.SortStableFunc(trgms, func(a, b string) int { return cmp.Compare(counts[a], counts[b]) })
	best, bestCost := 1, -1.0
	var cs []int64
	for k := 1; k <= min(3, len(trgms)); k++ {
		cs = append(cs, counts[trgms[k-1]])
		if c := probeCost(cs, total); bestCost < 0 || c < bestCost {
			best, bestCost = k, c
		}
	}
	phrases := make([]string, best)
	for i, t := range trgms[:best] {
		phrases[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return &nameProbe{match: strings.Join(phrases, " ")}, nil
}

// rarestWindow returns the run of three to five characters of name of
// least estimated cost among those pg_trgm looks up as they are: ASCII
// letters and digits only, for a LIKE pattern splits at other characters
// and pads what it splits into words. It returns "" when name has no
// such run.
func (s *Store) rarestWindow(name string, counts map[string]int64, total int64) string {
	best, bestCost := "", -1.0
	for i := 0; i < len(name); i++ {
		for n := 3; n <= 5 && i+n <= len(name); n++ {
			w := name[i : i+n]
			if !asciiAlnum(w) {
				break
			}
			var cs []int64
			for _, t := range nameTrigrams(w, true) {
				cs = append(cs, counts[t])
			}
			if c := probeCost(cs, total); bestCost < 0 || c < bestCost {
				best, bestCost = w, c
			}
		}
	}
	return best
}

func asciiAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// trigramCounts reads the counts of trgms (a trigram absent from the
// table counts zero) and the number of assets.
func (s *Store) trigramCounts(ctx context.Context, tx *sql.Tx, trgms []string) (map[string]int64, int64, error) {
	b := builder{d: &s.d}
	b.write("SELECT trgm, n FROM name_trigram_counts WHERE trgm IN (")
	for i, t := range trgms {
		if i > 0 {
			b.write(", ")
		}
		b.write(b.arg(t))
	}
	b.write(") UNION ALL SELECT NULL, COALESCE(SUM(n), 0) FROM asset_counts")
	rows, err := tx.QueryContext(ctx, b.sb.String(), b.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: read name trigram counts: %w", err)
	}
	defer rows.Close()
	counts := make(map[string]int64, len(trgms))
	var total int64
	for rows.Next() {
		var t sql.NullString
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, 0, err
		}
		if t.Valid {
			counts[t.String] = max(n, 0)
		} else {
			total = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: read name trigram counts: %w", err)
	}
	return counts, total, nil
}

// nameMatch writes the condition that a.asset_name contains name, with
// the index lookup probe chose. On SQLite the asset_names trigram index
// is queried with MATCH for the chosen trigrams, or with GLOB (which is
// case-sensitive, its wildcards escaped) for the whole needle, then instr
// checks the needle; a needle under three characters has no trigram and
// scans. On PostgreSQL a LIKE (its wildcards escaped) of the chosen
// window, or of the whole needle, is what the pg_trgm index serves, when
// the server has the extension, and strpos checks the needle.
func (s *Store) nameMatch(b *builder, name string, probe *nameProbe) {
	if s.d.name == "postgres" {
		if probe.window == "" {
			b.write(" AND a.asset_name LIKE ", b.arg("%"+likeEscaper.Replace(name)+"%"), ` ESCAPE '\'`)
			return
		}
		b.write(" AND a.asset_name LIKE ", b.arg("%"+likeEscaper.Replace(probe.window)+"%"), ` ESCAPE '\'`)
	} else if probe.match != "" {
		b.write(" AND a.id IN (SELECT rowid FROM asset_names WHERE asset_names MATCH ", b.arg(probe.match), ")")
	} else if utf8.RuneCountInString(name) >= 3 {
		b.write(" AND a.id IN (SELECT rowid FROM asset_names WHERE asset_name GLOB ", b.arg("*"+globEscaper.Replace(name)+"*"), ")")
	}
	b.write(" AND ", fmt.Sprintf(s.d.contains, "a.asset_name", b.arg(name)))
}

var (
	likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
	globEscaper = strings.NewReplacer("*", "[*]", "?", "[?]", "[", "[[]")
)
