//! The `*`/`?` globs of a sources config (bucket names, key prefixes), matched directly: a
//! regex built from each costs more at a cold start than all the matching a function does.

/// A glob: `*` matches any run of characters (`/` too), `?` any one character, anything
/// else itself.
#[derive(Debug, Clone)]
pub struct Glob {
    pattern: Vec<char>,
    /// The glob matches the start of a text (a key prefix) rather than the whole of it.
    prefix: bool,
}

impl Glob {
    /// A glob that must match the whole text (a bucket name).
    pub fn whole(glob: &str) -> Glob {
        Glob {
            pattern: glob.chars().collect(),
            prefix: false,
        }
    }

    /// A glob that must match the start of the text (a key prefix).
    pub fn prefix(glob: &str) -> Glob {
        Glob {
            pattern: glob.chars().collect(),
            prefix: true,
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        let p = &self.pattern;
        let mut s = text.chars();
        // Where the last `*` is in the pattern, and the text after what it has taken so far.
        let mut star: Option<(usize, std::str::Chars<'_>)> = None;
        let mut pi = 0;
        loop {
            if self.prefix && pi == p.len() {
                return true;
            }
            let rest = s.clone();
            match s.next() {
                None => break,
                Some(c) if pi < p.len() && (p[pi] == '?' || (p[pi] == c && c != '*')) => {
                    pi += 1;
                }
                Some(_) if pi < p.len() && p[pi] == '*' => {
                    star = Some((pi, rest.clone()));
                    s = rest;
                    pi += 1;
                }
                Some(_) => match &mut star {
                    // Let the last `*` take one more character and try again after it.
                    Some((at, taken)) => {
                        taken.next();
                        s = taken.clone();
                        pi = *at + 1;
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_globs_match_the_whole_name() {
        let g = Glob::whole("ocsf-staging*");
        assert!(g.is_match("ocsf-staging"));
        assert!(g.is_match("ocsf-staging-eu-west-1"));
        assert!(!g.is_match("my-ocsf-staging"));
        assert!(!g.is_match("ocsf-stagin"));
        let g = Glob::whole("logs-?-*-archive");
        assert!(g.is_match("logs-a-b-c-archive"));
        assert!(g.is_match("logs-a--archive"));
        assert!(!g.is_match("logs--b-archive"));
        assert!(!g.is_match("logs-a-b-archive-2"));
        assert!(Glob::whole("exact.bucket").is_match("exact.bucket"));
        assert!(!Glob::whole("exact.bucket").is_match("exactxbucket"));
        assert!(Glob::whole("*").is_match(""));
        assert!(!Glob::whole("").is_match("a"));
        assert!(Glob::whole("a*b*c").is_match("axxbyybzzc"));
        assert!(!Glob::whole("a*b*c").is_match("axxbyybzzcd"));
    }

    #[test]
    fn prefix_globs_match_the_start_of_a_key() {
        let g = Glob::prefix("AWSLogs/*/network-firewall/");
        assert!(g.is_match("AWSLogs/123456789012/network-firewall/flow/2024/03/05/x.log.gz"));
        assert!(g.is_match("AWSLogs/a/b/network-firewall/"));
        assert!(!g.is_match("AWSLogs/123456789012/elasticloadbalancing/x"));
        assert!(!g.is_match("other/AWSLogs/1/network-firewall/"));
        assert!(Glob::prefix("").is_match("anything"));
        // `?` is one character, not one byte.
        assert!(Glob::prefix("r?sum").is_match("résumé.json"));
        assert!(!Glob::prefix("r??sum").is_match("résumé.json"));
    }

    /// The same answers as the regex translation the globs had before.
    #[test]
    fn agrees_with_a_regex_translation() {
        let globs = [
            "", "*", "a*", "*a", "a?c", "*b*", "a*b?c*", "??", "x*y*z", "*?*",
        ];
        let texts = [
            "", "a", "ab", "abc", "aXbYc", "xyz", "xaybz", "é", "ébc", "a*c", "a?c",
        ];
        for g in globs {
            let mut re = String::from("^");
            for c in g.chars() {
                match c {
                    '*' => re.push_str("(?s:.*)"),
                    '?' => re.push_str("(?s:.)"),
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
            }
            let prefix = regex::Regex::new(&re).unwrap();
            let whole = regex::Regex::new(&format!("{re}$")).unwrap();
            for t in texts {
                assert_eq!(Glob::prefix(g).is_match(t), prefix.is_match(t), "{g} {t}");
                assert_eq!(Glob::whole(g).is_match(t), whole.is_match(t), "{g} {t}");
            }
        }
    }
}
