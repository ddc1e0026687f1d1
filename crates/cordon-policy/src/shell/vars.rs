//! The shell variables of one command line whose values are known before it
//! runs, and the expansions computed from them (see the shell module doc for
//! what is tracked). Anything not assigned in the line comes from the
//! environment and is unknown, except `HOME` and `PWD`, which cordon knows
//! from its context (written `~` and `.`).

use std::collections::HashMap;

/// What cordon knows of one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Val {
    /// Set to this text.
    Known(String),
    /// An indexed array of these elements.
    Array(Vec<String>),
    /// Removed by `unset`: expands to nothing.
    Unset,
    /// Known from the context and written as `~` or `.`: only valid as the
    /// first part of a word followed by `/` or nothing.
    Ctx(&'static str),
}

/// Variables bash sets by itself (or refuses to set): an assignment in the
/// line never makes their value known.
const VOLATILE: &[&str] = &[
    "_",
    "BASH_COMMAND",
    "BASH_REMATCH",
    "BASHOPTS",
    "BASHPID",
    "BASH_VERSINFO",
    "COLUMNS",
    "DIRSTACK",
    "EPOCHREALTIME",
    "EPOCHSECONDS",
    "EUID",
    "FUNCNAME",
    "GROUPS",
    "HISTCMD",
    "LINENO",
    "LINES",
    "MAPFILE",
    "OLDPWD",
    "OPTARG",
    "OPTIND",
    "PIPESTATUS",
    "PPID",
    "PWD",
    "RANDOM",
    "REPLY",
    "SECONDS",
    "SHELLOPTS",
    "SRANDOM",
    "UID",
];

/// At most this many words come out of one brace expansion or array.
pub(super) const MAX_WORDS: usize = 64;

/// The known variables at one point of the line.
#[derive(Clone, Debug)]
pub(super) struct Vars {
    /// Names assigned in the line.
    map: HashMap<String, Val>,
    /// `HOME` and `PWD` are still what the context says (`~`, `.`).
    ctx_home: bool,
    ctx_pwd: bool,
    /// Assignments to these names may not take (readonly) or are transformed
    /// (`declare -i/-l/-u/-A`): their value stays unknown.
    frozen: Vec<String>,
    /// Something ran that may have set any variable (`eval`, `source`, a
    /// function, a `trap`, a nameref): nothing is known any more.
    poisoned: bool,
    /// Walking a function body (where `local` works).
    pub(super) in_function: bool,
    /// `IFS` was given a value cordon does not know (never set, it is the
    /// default: bash does not take it from the environment).
    ifs_unknown: bool,
}

impl Vars {
    /// The start of a command line: only `HOME` and `PWD` are known.
    pub(super) fn new() -> Vars {
        Vars {
            map: HashMap::new(),
            ctx_home: true,
            ctx_pwd: true,
            frozen: Vec::new(),
            poisoned: false,
            in_function: false,
            ifs_unknown: false,
        }
    }

    /// The scope of a function body: nothing known but `HOME` (when
    /// `keep_home`) and `PWD`; what cannot be assigned stays so.
    pub(super) fn fresh(&self, keep_home: bool) -> Vars {
        let mut v = Vars::new();
        if !keep_home {
            v.ctx_home = false;
        }
        v.frozen = self.frozen.clone();
        v.poisoned = self.poisoned;
        v.ctx_home &= !self.poisoned;
        v.ctx_pwd &= !self.poisoned;
        v.ifs_unknown = self.ifs_unknown;
        v.in_function = true;
        v
    }

    /// `None`: unknown.
    pub(super) fn get(&self, name: &str) -> Option<&Val> {
        const HOME: Val = Val::Ctx("~");
        const PWD: Val = Val::Ctx(".");
        match name {
            _ if self.poisoned => None,
            "HOME" if self.ctx_home => Some(&HOME),
            "PWD" if self.ctx_pwd => Some(&PWD),
            _ => self.map.get(name),
        }
    }

    /// Assign `name`; `None` makes it unknown.
    pub(super) fn set(&mut self, name: &str, v: Option<Val>) {
        let v = v.filter(|_| !VOLATILE.contains(&name) && !self.frozen.iter().any(|f| f == name));
        match name {
            "IFS" => self.ifs_unknown = v.is_none(),
            "HOME" => self.ctx_home = false,
            "PWD" => self.ctx_pwd = false,
            _ => {}
        }
        match v {
            Some(v) => {
                self.map.insert(name.to_string(), v);
            }
            None => {
                self.map.remove(name);
            }
        }
    }

    /// Later assignments to `name` leave it unknown.
    pub(super) fn freeze(&mut self, name: &str) {
        if !self.frozen.iter().any(|f| f == name) {
            self.frozen.push(name.to_string());
        }
    }

    pub(super) fn poison(&mut self) {
        self.poisoned = true;
        self.ctx_home = false;
        self.ctx_pwd = false;
        self.map.clear();
    }

    /// Every known variable whose name appears in `text` becomes unknown
    /// (the body of a loop may run again after changing it).
    pub(super) fn forget_mentioned(&mut self, text: &str) {
        self.map.retain(|name, _| !text.contains(name.as_str()));
        self.ctx_home &= !text.contains("HOME");
        self.ctx_pwd &= !text.contains("PWD");
    }

    /// The characters that split unquoted expansions; `None` when unknown.
    pub(super) fn ifs(&self) -> Option<&str> {
        match self.get("IFS") {
            Some(Val::Known(s)) => Some(s),
            Some(Val::Unset) => Some(" \t\n"),
            None if !self.poisoned && !self.ifs_unknown => Some(" \t\n"),
            _ => None,
        }
    }
}

/// What a parameter expansion gives.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Exp {
    /// Not known before it runs.
    Dynamic,
    /// One text (empty for an unset variable).
    Text(String),
    /// `~` or `.`: the context's home or working directory.
    Ctx(&'static str),
    /// `${a[@]}`: one word per element (when quoted).
    List(Vec<String>),
}

/// Evaluate `$name`, `${name}`, `${name:-w}`, `${#name}`, `${name#p}`... from
/// its source text. `assign` receives `${name:=w}`'s assignment.
pub(super) fn expand(raw: &str, vars: &Vars, assign: &mut Option<(String, String)>) -> Exp {
    let inner = if let Some(b) = raw.strip_prefix("${") {
        match b.strip_suffix('}') {
            Some(i) => i,
            None => return Exp::Dynamic,
        }
    } else if let Some(b) = raw.strip_prefix('$') {
        b
    } else {
        return Exp::Dynamic;
    };
    let braced = raw.starts_with("${");
    let (length, inner) = match inner.strip_prefix('#') {
        Some(rest) if braced && !rest.is_empty() => (true, rest),
        _ => (false, inner),
    };
    let n = name_len(inner);
    if n == 0 {
        return Exp::Dynamic; // `$1`, `$@`, `$?`, `${!x}`...
    }
    let (name, rest) = inner.split_at(n);
    let val = vars.get(name);
    let (sub, rest) = subscript(rest);
    // The value as one text or a list, before any operator.
    let list: Option<Vec<String>> = match (val, sub) {
        (None, _) => None,
        (Some(Val::Ctx(_)), _) => None,
        (Some(Val::Unset), Sub::None | Sub::Index(_)) => Some(vec![]),
        (Some(Val::Unset), Sub::All(_)) => Some(vec![]),
        (Some(Val::Known(s)), Sub::None | Sub::Index(0) | Sub::All(_)) => Some(vec![s.clone()]),
        (Some(Val::Known(_)), Sub::Index(_)) => Some(vec![]),
        (Some(Val::Array(a)), Sub::None) => Some(a.iter().take(1).cloned().collect()),
        (Some(Val::Array(a)), Sub::Index(i)) => Some(a.get(i).into_iter().cloned().collect()),
        (Some(Val::Array(a)), Sub::All(_)) => Some(a.clone()),
        (Some(_), Sub::Other) => None,
    };
    if length {
        return match (&list, rest, sub) {
            (Some(l), "", Sub::All(_)) => Exp::Text(l.len().to_string()),
            (Some(l), "", _) => Exp::Text(
                l.first()
                    .map(|s| s.chars().count())
                    .unwrap_or(0)
                    .to_string(),
            ),
            _ => Exp::Dynamic,
        };
    }
    // `$HOME`, `$PWD`: known from the context only as they are.
    if let (Some(Val::Ctx(c)), Sub::None, "") = (val, sub, rest) {
        return Exp::Ctx(c);
    }
    let Some(list) = list else {
        return Exp::Dynamic;
    };
    let set = !matches!(val, Some(Val::Unset)) && !list.is_empty();
    let joined = list.join(" ");
    if rest.is_empty() {
        return match sub {
            Sub::All('@') => Exp::List(list),
            _ => Exp::Text(joined),
        };
    }
    if !matches!(sub, Sub::None) {
        return Exp::Dynamic;
    }
    let value = joined;
    let (colon, op_rest) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let present = if colon { set && !value.is_empty() } else { set };
    let mut chars = op_rest.chars();
    let op = chars.next();
    let word = chars.as_str();
    match op {
        Some('-') | Some('=') | Some('+') | Some('?') if literal(word) => {}
        Some('#') | Some('%') if !colon => return strip(&value, op_rest),
        _ => return Exp::Dynamic,
    }
    match op {
        Some('-') => Exp::Text(if present { value } else { word.into() }),
        Some('=') => {
            if !present {
                *assign = Some((name.to_string(), word.to_string()));
                Exp::Text(word.into())
            } else {
                Exp::Text(value)
            }
        }
        Some('+') => Exp::Text(if present { word.into() } else { String::new() }),
        // `${x:?msg}`: the value, or the shell stops.
        _ => Exp::Text(value),
    }
}

#[derive(Clone, Copy)]
enum Sub {
    None,
    Index(usize),
    /// `[@]` or `[*]`.
    All(char),
    Other,
}

/// A subscript right after a name, and what follows it.
fn subscript(rest: &str) -> (Sub, &str) {
    let Some(body) = rest.strip_prefix('[') else {
        return (Sub::None, rest);
    };
    let Some(end) = body.find(']') else {
        return (Sub::Other, rest);
    };
    let (idx, after) = (&body[..end], &body[end + 1..]);
    let sub = match idx {
        "@" => Sub::All('@'),
        "*" => Sub::All('*'),
        i if !i.is_empty() && i.len() < 6 && i.bytes().all(|b| b.is_ascii_digit()) => {
            Sub::Index(i.parse().unwrap_or(usize::MAX))
        }
        _ => Sub::Other,
    };
    (sub, after)
}

/// `${x#p}`, `${x##p}`, `${x%p}`, `${x%%p}` with a pattern without wildcards.
fn strip(value: &str, op: &str) -> Exp {
    let twice = op.starts_with("##") || op.starts_with("%%");
    let pat = &op[if twice { 2 } else { 1 }..];
    if !literal(pat) || pat.contains(['*', '?', '[']) {
        return Exp::Dynamic;
    }
    let out = if op.starts_with('#') {
        value.strip_prefix(pat).unwrap_or(value)
    } else {
        value.strip_suffix(pat).unwrap_or(value)
    };
    Exp::Text(out.to_string())
}

/// Text that means itself inside `${...}` (no expansion, quote or escape).
fn literal(s: &str) -> bool {
    !s.contains(['$', '`', '\'', '"', '\\', '~', '{', '}'])
}

/// The length of the variable name at the start of `s`.
pub(super) fn name_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.first()
        .is_none_or(|c| !(c.is_ascii_alphabetic() || *c == b'_'))
    {
        return 0;
    }
    b.iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .unwrap_or(b.len())
}

/// The names that look like variables in `s` (arithmetic, `let`).
pub(super) fn names_in(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| name_len(t) == t.len() && !t.is_empty())
}

/// Brace expansion of an unquoted literal word (`src/{a,b}`, `f{1..3}`):
/// `None` when it would make more than [`MAX_WORDS`] words; one word (the
/// text itself) when there is nothing to expand.
pub(super) fn braces(word: &str) -> Option<Vec<String>> {
    let mut done = Vec::new();
    let mut todo = vec![word.to_string()];
    // Each round expands the first group of every word; a word without one is
    // finished. Every round removes a group, so this ends.
    while let Some(w) = todo.pop() {
        match first_group(&w).ok()? {
            None => done.push(w),
            Some((open, close, alts)) => {
                if done.len() + todo.len() + alts.len() > MAX_WORDS {
                    return None;
                }
                for a in alts.iter().rev() {
                    todo.push(format!("{}{}{}", &w[..open], a, &w[close + 1..]));
                }
            }
        }
    }
    Some(done)
}

/// The first brace group with something to expand: its bounds and
/// alternatives; `Err` for a sequence longer than [`MAX_WORDS`].
type Group = (usize, usize, Vec<String>);
fn first_group(w: &str) -> Result<Option<Group>, ()> {
    let b = w.as_bytes();
    let mut start = 0;
    while let Some(off) = w[start..].find('{') {
        let open = start + off;
        start = open + 1;
        if open > 0 && b[open - 1] == b'$' {
            continue;
        }
        // The matching close brace and the top-level commas.
        let mut depth = 0usize;
        let mut commas = Vec::new();
        let mut close = None;
        for (i, &c) in b.iter().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                b',' if depth == 1 => commas.push(i),
                _ => {}
            }
        }
        let Some(close) = close else {
            continue;
        };
        if !commas.is_empty() {
            let mut alts = Vec::new();
            let mut from = open + 1;
            for c in commas.into_iter().chain([close]) {
                alts.push(w[from..c].to_string());
                from = c + 1;
            }
            return Ok(Some((open, close, alts)));
        }
        match sequence(&w[open + 1..close]) {
            Seq::Items(seq) => return Ok(Some((open, close, seq))),
            Seq::TooLong => return Err(()),
            Seq::No => {}
        }
    }
    Ok(None)
}

enum Seq {
    No,
    Items(Vec<String>),
    TooLong,
}

/// `1..5`, `a..e`, `1..10..2`: the items.
fn sequence(s: &str) -> Seq {
    let parts: Vec<&str> = s.split("..").collect();
    if !(2..=3).contains(&parts.len()) {
        return Seq::No;
    }
    let step: i64 = match parts.get(2).map(|p| p.parse::<i64>()) {
        Some(Ok(p)) => p.checked_abs().unwrap_or(i64::MAX).max(1),
        Some(Err(_)) => return Seq::No,
        None => 1,
    };
    let items = |a: i64, b: i64| -> Option<Vec<i64>> {
        let n = a.checked_sub(b)?.checked_abs()? / step + 1;
        if n > MAX_WORDS as i64 {
            return None;
        }
        let dir = if b >= a { step } else { -step };
        (0..n)
            .map(|k| k.checked_mul(dir).and_then(|d| a.checked_add(d)))
            .collect()
    };
    let (a, b) = (parts[0], parts[1]);
    let seq = if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
        let padded = |p: &str| p.len() > 1 && (p.starts_with('0') || p.starts_with("-0"));
        if padded(a) || padded(b) {
            return Seq::TooLong; // zero padding: not worth getting right
        }
        items(x, y).map(|v| v.into_iter().map(|v| v.to_string()).collect())
    } else if a.len() == 1
        && b.len() == 1
        && a.as_bytes()[0].is_ascii_alphabetic()
        && b.as_bytes()[0].is_ascii_alphabetic()
    {
        items(a.as_bytes()[0] as i64, b.as_bytes()[0] as i64).map(|v| {
            v.into_iter()
                .map(|c| (c as u8 as char).to_string())
                .collect()
        })
    } else {
        return Seq::No;
    };
    match seq {
        Some(v) => Seq::Items(v),
        None => Seq::TooLong,
    }
}

/// Could a glob in `text` match `.` or `..` (a component like `.*` or `.?`,
/// in bash before 5.2), and so climb out of the directory it names?
pub(super) fn glob_climbs(text: &str) -> bool {
    text.split('/')
        .any(|c| c.starts_with('.') && has_glob(c) && (glob_match(c, ".") || glob_match(c, "..")))
}

/// Does the pattern `p` (`*`, `?`, `[...]`) match all of `t`? Iterative:
/// the set of text positions reachable after each pattern item.
fn glob_match(p: &str, t: &str) -> bool {
    let t = t.as_bytes();
    let p = p.as_bytes();
    let mut reach = vec![false; t.len() + 1];
    reach[0] = true;
    let mut i = 0;
    while i < p.len() {
        let mut next = vec![false; t.len() + 1];
        match p[i] {
            b'*' => {
                let first = reach.iter().position(|&r| r);
                if let Some(f) = first {
                    next[f..].iter_mut().for_each(|n| *n = true);
                }
                i += 1;
            }
            c => {
                // One character: `?`, a bracket class, or itself.
                let (class, len): (Box<dyn Fn(u8) -> bool>, usize) = match c {
                    b'?' => (Box::new(|_| true), 1),
                    b'[' => match p[i + 1..].iter().skip(1).position(|&x| x == b']') {
                        Some(end) => {
                            let body = &p[i + 1..i + 2 + end];
                            let (neg, set) = match body.first() {
                                Some(b'!') | Some(b'^') => (true, &body[1..]),
                                _ => (false, body),
                            };
                            let set = set.to_vec();
                            (Box::new(move |x| in_class(&set, x) != neg), end + 3)
                        }
                        None => (Box::new(|x| x == b'['), 1),
                    },
                    c => (Box::new(move |x| x == c), 1),
                };
                for k in 0..t.len() {
                    if reach[k] && class(t[k]) {
                        next[k + 1] = true;
                    }
                }
                i += len;
            }
        }
        reach = next;
    }
    reach[t.len()]
}

/// Is `x` in the bracket class body `set` (`a-z` ranges included)?
fn in_class(set: &[u8], x: u8) -> bool {
    let mut j = 0;
    while j < set.len() {
        if set.get(j + 1) == Some(&b'-') && j + 2 < set.len() {
            if (set[j]..=set[j + 2]).contains(&x) {
                return true;
            }
            j += 3;
        } else {
            if set[j] == x {
                return true;
            }
            j += 1;
        }
    }
    false
}

/// Does `text` have wildcard characters? (A `[` only with a `]` after it.)
pub(super) fn has_glob(text: &str) -> bool {
    text.contains(['*', '?']) || text.find('[').is_some_and(|i| text[i..].contains(']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(raw: &str, vars: &Vars) -> Exp {
        expand(raw, vars, &mut None)
    }

    #[test]
    fn parameter_forms() {
        let mut v = Vars::new();
        v.set("d", Some(Val::Known("build".into())));
        v.set("e", Some(Val::Known(String::new())));
        v.set("u", Some(Val::Unset));
        v.set("a", Some(Val::Array(vec!["x".into(), "y z".into()])));
        let t = |s: &str| Exp::Text(s.into());
        assert_eq!(ex("$d", &v), t("build"));
        assert_eq!(ex("${d}", &v), t("build"));
        assert_eq!(ex("${d:-x}", &v), t("build"));
        assert_eq!(ex("${e:-x}", &v), t("x"));
        assert_eq!(ex("${e-x}", &v), t(""));
        assert_eq!(ex("${u-x}", &v), t("x"));
        assert_eq!(ex("${d:+x}", &v), t("x"));
        assert_eq!(ex("${#d}", &v), t("5"));
        assert_eq!(ex("${d#bu}", &v), t("ild"));
        assert_eq!(ex("${d%ld}", &v), t("bui"));
        assert_eq!(ex("${d%l*}", &v), Exp::Dynamic);
        assert_eq!(ex("${a[1]}", &v), t("y z"));
        assert_eq!(ex("${a[@]}", &v), Exp::List(vec!["x".into(), "y z".into()]));
        assert_eq!(ex("${#a[@]}", &v), t("2"));
        assert_eq!(ex("$a", &v), t("x"));
        assert_eq!(ex("$HOME", &v), Exp::Ctx("~"));
        for dynamic in [
            "$x",
            "${x:-a}",
            "$1",
            "$@",
            "$?",
            "$$",
            "${!d}",
            "${d/b/c}",
            "${d:1}",
            "$RANDOM",
            "${HOME:-x}",
            "${d:-$x}",
            "${x:=1}",
        ] {
            assert_eq!(ex(dynamic, &v), Exp::Dynamic, "{dynamic}");
        }
        let mut a = None;
        assert_eq!(expand("${e:=v}", &v, &mut a), t("v"));
        assert_eq!(a, Some(("e".into(), "v".into())));
    }

    #[test]
    fn volatile_and_frozen_names_stay_unknown() {
        let mut v = Vars::new();
        v.set("RANDOM", Some(Val::Known("4".into())));
        v.set("PWD", Some(Val::Known("/etc".into())));
        v.freeze("r");
        v.set("r", Some(Val::Known("x".into())));
        assert_eq!(v.get("RANDOM"), None);
        assert_eq!(v.get("PWD"), None);
        assert_eq!(v.get("r"), None);
        v.set("k", Some(Val::Known("x".into())));
        v.poison();
        assert_eq!(v.get("k"), None);
        assert_eq!(v.get("HOME"), None);
    }

    #[test]
    fn brace_expansion() {
        let b = |s: &str| braces(s).map(|v| v.join(" "));
        assert_eq!(b("src/{a,b}").as_deref(), Some("src/a src/b"));
        assert_eq!(b("f{,.bak}").as_deref(), Some("f f.bak"));
        assert_eq!(
            b("{/etc,x}/passwd").as_deref(),
            Some("/etc/passwd x/passwd")
        );
        assert_eq!(b("a{1..3}").as_deref(), Some("a1 a2 a3"));
        assert_eq!(b("{a,{b,c}}d").as_deref(), Some("ad bd cd"));
        assert_eq!(b("{}").as_deref(), Some("{}"));
        assert_eq!(b("{x}").as_deref(), Some("{x}"));
        assert_eq!(b("${x}").as_deref(), Some("${x}"));
        assert_eq!(b("{1..1000}"), None);
        assert_eq!(b(&"{a,b}".repeat(20)), None);
    }

    #[test]
    fn globs_that_climb() {
        assert!(glob_climbs(".*"));
        assert!(glob_climbs("src/.?"));
        assert!(glob_climbs(".[.]"));
        assert!(!glob_climbs(".[^.]*"));
        assert!(!glob_climbs("..?*"));
        assert!(glob_climbs(".[+-0]"));
        assert!(!glob_climbs(".git*"));
        assert!(!glob_climbs("*.txt"));
        assert!(!glob_climbs("src/*"));
    }
}
