//! What a contained program may send to a person's terminal: a streaming
//! allowlist filter for terminal output.
//!
//! ```
//! use cordon_sandbox::term::{Filter, Mode};
//! let mut f = Filter::new(Mode::Terminal);
//! let mut out = Vec::new();
//! // Colour passes; a clipboard write (OSC 52) split across two reads does not.
//! f.push(b"\x1b[1;31mred\x1b[0m \x1b]52;c;aGVs", &mut out);
//! f.push(b"bG8=\x07ok\n", &mut out);
//! assert_eq!(out, b"\x1b[1;31mred\x1b[0m ok\n");
//! ```
//!
//! Text passes (valid UTF-8, and the controls text needs: `\n \r \t \b`, BEL,
//! VT, FF, SO, SI), and so do the escape sequences in [`CSI_RULES`] and
//! [`ESC_RULES`]: SGR, cursor movement and erase, scroll regions, the usual
//! private modes ([`DEC_MODES`]: alternate screen, bracketed paste, mouse,
//! cursor visibility, application keys) and the queries full-screen programs
//! need (cursor position, device attributes, mode and keyboard-protocol
//! queries). Everything else is dropped whole: every OSC (clipboard 52,
//! titles 0/1/2, hyperlinks, notifications, 1337 and other extensions), every
//! DCS (DECRQSS, XTGETTCAP), SOS/PM/APC, window operations (`CSI ... t`:
//! title report, resize), 8-bit C1 controls, other C0 controls and NUL.
//! Malformed UTF-8 (overlong forms of ESC included) becomes U+FFFD.
//!
//! A sequence is only ever written out whole, once its final byte has
//! arrived and it matched a rule, so after each thing written the terminal is
//! back in its ground state: no byte that follows can be read by the
//! terminal as part of a sequence cordon did not allow. A sequence split
//! across reads is held (at most [`CSI_MAX`] bytes) until it ends; strings
//! (OSC, DCS...) are dropped as they stream, without being held, and one
//! that does not end within [`STR_MAX`] bytes is abandoned (what follows is
//! text again, harmless since its introducer was never written).
//!
//! The same parser in [`Mode::TextOnly`] removes every sequence (the MCP
//! gateway's results, which are text for a model and a person, not a screen).
//! It lives here, with the pty relay that needs it most; the gateway reaches
//! it through `cordon-sandbox`'s public API.

/// Bytes of one CSI or ESC sequence held while it is incomplete.
pub const CSI_MAX: usize = 64;
/// A dropped string (OSC, DCS, SOS, PM, APC) or over-long CSI is given up
/// after this many bytes.
pub const STR_MAX: usize = 1 << 20;

/// Which sequences pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A terminal's output: the allowlist.
    Terminal,
    /// Text only: every sequence removed, C0 controls other than ESC kept.
    TextOnly,
}

/// What a CSI sequence's parameters may be.
#[derive(Debug, Clone, Copy)]
pub enum Params {
    /// Any numbers (each at most 5 digits), separated by `;` or `:`.
    Any,
    /// Each parameter one of these modes.
    Modes(&'static [u32]),
    /// Exactly one of these parameter strings.
    Only(&'static [&'static [u8]]),
}

/// One allowed family of CSI sequences: `CSI prefix params inter final`.
#[derive(Debug, Clone, Copy)]
pub struct CsiRule {
    /// A private marker (`?`, `>`, `<`, `=`) right after `CSI`, if any.
    pub prefix: Option<u8>,
    /// Intermediate bytes before the final byte.
    pub inter: &'static [u8],
    /// The final bytes this rule covers.
    pub finals: &'static [u8],
    pub params: Params,
    /// What it is, for people reading the table.
    pub what: &'static str,
}

const fn csi(
    prefix: Option<u8>,
    inter: &'static [u8],
    finals: &'static [u8],
    params: Params,
    what: &'static str,
) -> CsiRule {
    CsiRule {
        prefix,
        inter,
        finals,
        params,
        what,
    }
}

/// DEC private modes (`CSI ? Pm h` / `l`) a program may set and reset.
pub const DEC_MODES: &[u32] = &[
    1,    // application cursor keys
    5,    // reverse video
    6,    // origin mode (scroll regions)
    7,    // autowrap
    8,    // autorepeat
    9,    // X10 mouse
    12,   // cursor blink
    25,   // cursor visible
    45,   // reverse wraparound
    47,   // alternate screen
    66,   // application keypad
    67,   // backarrow key
    69,   // left and right margins
    1000, // mouse: press and release
    1002, // mouse: drag
    1003, // mouse: any motion
    1004, // focus events
    1005, // mouse: UTF-8 coordinates
    1006, // mouse: SGR coordinates
    1007, // alternate scroll
    1015, // mouse: urxvt coordinates
    1016, // mouse: SGR pixel coordinates
    1034, // meta key sets the eighth bit
    1035, // alt and num-lock modifiers
    1036, // meta key sends ESC
    1037, // delete key sends DEL
    1039, // alt key sends ESC
    1047, // alternate screen
    1048, // save and restore cursor
    1049, // alternate screen with cursor save
    2004, // bracketed paste
    2026, // synchronized output
];

/// Private modes put back when the output ends ([`Filter::restore`]), with
/// their usual state (on: true).
pub const RESTORE: &[(u32, bool)] = &[
    (1, false),
    (9, false),
    (25, true),
    (47, false),
    (66, false),
    (1000, false),
    (1002, false),
    (1003, false),
    (1004, false),
    (1005, false),
    (1006, false),
    (1015, false),
    (1016, false),
    (1047, false),
    (1049, false),
    (2004, false),
];

/// The CSI sequences that pass ([`Mode::Terminal`]); anything else is dropped.
pub const CSI_RULES: &[CsiRule] = &[
    csi(None, b"", b"m", Params::Any, "SGR: colours and attributes"),
    csi(
        None,
        b"",
        b"ABCDEFGHIZadef`",
        Params::Any,
        "cursor movement",
    ),
    csi(None, b"", b"JKX@PLM", Params::Any, "erase, insert, delete"),
    csi(None, b"", b"STb", Params::Any, "scroll, repeat"),
    csi(
        None,
        b"",
        b"rsu",
        Params::Any,
        "scroll region, save and restore cursor",
    ),
    csi(None, b"", b"g", Params::Any, "tab clear"),
    csi(
        None,
        b"",
        b"hl",
        Params::Modes(&[4, 20]),
        "insert mode, newline mode",
    ),
    csi(
        None,
        b"",
        b"n",
        Params::Only(&[b"5", b"6"]),
        "status and cursor position report",
    ),
    csi(
        None,
        b"",
        b"c",
        Params::Only(&[b"", b"0"]),
        "primary device attributes",
    ),
    csi(None, b" ", b"q", Params::Any, "cursor style"),
    csi(None, b"!", b"p", Params::Only(&[b""]), "soft reset"),
    csi(None, b"$", b"p", Params::Any, "mode query (DECRQM)"),
    csi(
        Some(b'?'),
        b"",
        b"hl",
        Params::Modes(DEC_MODES),
        "private modes",
    ),
    csi(
        Some(b'?'),
        b"$",
        b"p",
        Params::Any,
        "private mode query (DECRQM)",
    ),
    csi(Some(b'?'), b"", b"JK", Params::Any, "selective erase"),
    csi(
        Some(b'?'),
        b"",
        b"n",
        Params::Only(&[b"6"]),
        "extended cursor position report",
    ),
    csi(
        Some(b'?'),
        b"",
        b"u",
        Params::Only(&[b""]),
        "keyboard protocol query",
    ),
    csi(
        Some(b'>'),
        b"",
        b"c",
        Params::Only(&[b"", b"0"]),
        "secondary device attributes",
    ),
    csi(Some(b'>'), b"", b"mn", Params::Any, "modified keys"),
    csi(Some(b'>'), b"", b"u", Params::Any, "keyboard protocol push"),
    csi(Some(b'<'), b"", b"u", Params::Any, "keyboard protocol pop"),
    csi(Some(b'='), b"", b"u", Params::Any, "keyboard protocol set"),
];

/// The other escape sequences that pass: (intermediates, finals).
pub const ESC_RULES: &[(&[u8], &[u8], &str)] = &[
    (b"", b"78", "save and restore cursor"),
    (b"", b"=>", "application and normal keypad"),
    (b"", b"DEMH", "index, next line, reverse index, tab set"),
    (b"", b"c", "full reset"),
    (b"(", b"0AB", "G0 character set (line drawing)"),
    (b")", b"0AB", "G1 character set"),
    (b"*", b"0AB", "G2 character set"),
    (b"+", b"0AB", "G3 character set"),
];

/// Bytes of text that pass as they are, per mode (ASCII only; the rest is
/// decoded as UTF-8).
const fn plain(mode: Mode) -> [bool; 128] {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = match mode {
            Mode::Terminal => matches!(b, 0x07..=0x0f | 0x20..=0x7e),
            Mode::TextOnly => b != 0x1b,
        };
        b += 1;
    }
    t
}
const PLAIN_TERMINAL: [bool; 128] = plain(Mode::Terminal);
const PLAIN_TEXT: [bool; 128] = plain(Mode::TextOnly);

const ESC: u8 = 0x1b;
const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// Inside a multi-byte UTF-8 character (bytes in `buf`): how many more,
    /// and the range the next one must be in.
    Utf8 {
        need: u8,
        lo: u8,
        hi: u8,
    },
    /// After ESC (and intermediates, in `buf`).
    Esc,
    /// In a CSI (held in `buf`); `c1`: introduced by an 8-bit C1 CSI (never written).
    Csi {
        c1: bool,
    },
    /// Skipping an over-long CSI until its final byte.
    CsiIgnore {
        seen: usize,
    },
    /// Dropping a string; `esc`: the previous byte was ESC, `c2`: it was 0xC2
    /// (a UTF-8 encoded C1 ST may follow).
    Str {
        seen: usize,
        esc: bool,
        c2: bool,
    },
}

/// The streaming filter: feed it output as it is read, in pieces of any size.
#[derive(Debug, Clone)]
pub struct Filter {
    mode: Mode,
    state: State,
    buf: Vec<u8>,
    dropped: u64,
    /// Modes whose leftover would hamper the person's shell, as the program
    /// last set them (see [`Filter::restore`]).
    modes: Vec<(u32, bool)>,
    /// Keyboard protocol pushes not yet popped.
    kitty: u32,
}

impl Filter {
    pub fn new(mode: Mode) -> Filter {
        Filter {
            mode,
            state: State::Ground,
            buf: Vec::with_capacity(CSI_MAX),
            dropped: 0,
            modes: Vec::new(),
            kitty: 0,
        }
    }

    /// How many sequences and control characters were dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Filter `input`, appending what passes to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let plain = self.plain();
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Ground {
                let mut start = i;
                while i < input.len() {
                    let b = input[i];
                    if b < 0x80 && plain[b as usize] {
                        i += 1;
                    } else if let Some(n) = whole_char(&input[i..]) {
                        i += n;
                    } else if let Some((n, allowed)) = self.whole_csi(&input[i..]) {
                        if !allowed {
                            out.extend_from_slice(&input[start..i]);
                            self.dropped += 1;
                            start = i + n;
                        }
                        i += n;
                    } else {
                        break;
                    }
                }
                out.extend_from_slice(&input[start..i]);
                if i == input.len() {
                    break;
                }
            }
            self.step(input[i], out);
            i += 1;
        }
    }

    /// The end of the stream: an unfinished character becomes U+FFFD, an
    /// unfinished sequence is dropped.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self.state {
            State::Ground => {}
            State::Utf8 { .. } => out.extend_from_slice(REPLACEMENT),
            _ => self.dropped += 1,
        }
        self.reset();
    }

    /// A whole CSI sequence at the start of `b` (the fast path: the same
    /// answer as byte by byte): its length, and whether it passes.
    fn whole_csi(&mut self, b: &[u8]) -> Option<(usize, bool)> {
        if b.len() < 3 || b[0] != ESC || b[1] != b'[' {
            return None;
        }
        // Held bytes (ESC [ and the parameters) stay within CSI_MAX.
        for j in 2..b.len().min(CSI_MAX + 1) {
            match b[j] {
                0x20..=0x3f => {}
                0x40..=0x7e => {
                    let allowed = self.mode == Mode::Terminal && csi_allowed(&b[2..=j]);
                    if allowed {
                        self.track(&b[2..=j]);
                    }
                    return Some((j + 1, allowed));
                }
                _ => return None,
            }
        }
        None
    }

    /// Note what an allowed CSI (`body`: after CSI, final included) leaves on.
    fn track(&mut self, body: &[u8]) {
        match body {
            [b'?', params @ .., fin @ (b'h' | b'l')] => {
                for m in params.split(|&b| b == b';') {
                    let Some(m) = std::str::from_utf8(m).ok().and_then(|m| m.parse().ok()) else {
                        continue;
                    };
                    if RESTORE.iter().any(|(r, _)| *r == m) {
                        self.modes.retain(|(x, _)| *x != m);
                        self.modes.push((m, *fin == b'h'));
                    }
                }
            }
            [b'>', .., b'u'] => self.kitty = (self.kitty + 1).min(64),
            [b'<', .., b'u'] => self.kitty = self.kitty.saturating_sub(1),
            _ => {}
        }
    }

    /// What puts the person's terminal back as the program found it, for
    /// the modes a program that ends abruptly leaves behind: the alternate
    /// screen, mouse and focus reporting, bracketed paste, application keys,
    /// a hidden cursor, keyboard protocol flags. Write it when the stream ends.
    pub fn restore(&self, out: &mut Vec<u8>) {
        for (m, on) in &self.modes {
            let default = RESTORE.iter().any(|(r, d)| r == m && d == on);
            if !default {
                let fin = if *on { 'l' } else { 'h' };
                out.extend_from_slice(format!("\x1b[?{m}{fin}").as_bytes());
            }
        }
        if self.kitty > 0 {
            out.extend_from_slice(format!("\x1b[<{}u", self.kitty).as_bytes());
        }
    }

    fn plain(&self) -> &'static [bool; 128] {
        match self.mode {
            Mode::Terminal => &PLAIN_TERMINAL,
            Mode::TextOnly => &PLAIN_TEXT,
        }
    }

    fn reset(&mut self) {
        self.state = State::Ground;
        self.buf.clear();
    }

    fn drop_seq(&mut self) {
        self.dropped += 1;
        self.reset();
    }

    /// One byte outside the ground state's fast path.
    fn step(&mut self, b: u8, out: &mut Vec<u8>) {
        match self.state {
            State::Ground => self.ground(b, out),
            State::Utf8 { need, lo, hi } => {
                if !(lo..=hi).contains(&b) {
                    out.extend_from_slice(REPLACEMENT);
                    self.reset();
                    return self.step(b, out);
                }
                self.buf.push(b);
                if need > 1 {
                    self.state = State::Utf8 {
                        need: need - 1,
                        lo: 0x80,
                        hi: 0xbf,
                    };
                    return;
                }
                if let [0xc2, c1 @ 0x80..=0x9f] = self.buf[..] {
                    self.reset();
                    return self.c1(c1);
                }
                out.extend_from_slice(&self.buf);
                self.reset();
            }
            State::Esc => self.esc(b, out),
            State::Csi { c1 } => match b {
                0x20..=0x3f if self.buf.len() < CSI_MAX => self.buf.push(b),
                0x20..=0x3f => {
                    self.buf.clear();
                    self.state = State::CsiIgnore { seen: CSI_MAX };
                }
                0x40..=0x7e => {
                    self.buf.push(b);
                    if !c1 && self.mode == Mode::Terminal && csi_allowed(&self.buf[2..]) {
                        let body = std::mem::take(&mut self.buf);
                        self.track(&body[2..]);
                        self.buf = body;
                        out.extend_from_slice(&self.buf);
                        self.reset();
                    } else {
                        self.drop_seq();
                    }
                }
                _ => {
                    self.drop_seq();
                    self.step(b, out)
                }
            },
            State::CsiIgnore { seen } => match b {
                0x20..=0x3f if seen < STR_MAX => self.state = State::CsiIgnore { seen: seen + 1 },
                0x40..=0x7e => self.drop_seq(),
                _ => {
                    self.drop_seq();
                    self.step(b, out)
                }
            },
            State::Str { seen, esc, c2 } => self.string(b, seen, esc, c2, out),
        }
    }

    fn ground(&mut self, b: u8, out: &mut Vec<u8>) {
        let (need, lo, hi) = match b {
            0x00..=0x7f if self.plain()[b as usize] => return out.push(b),
            ESC => {
                self.buf.push(ESC);
                self.state = State::Esc;
                return;
            }
            0x00..=0x7f => {
                self.dropped += 1;
                return;
            }
            0xc2..=0xdf => (1, 0x80, 0xbf),
            0xe0 => (2, 0xa0, 0xbf),
            0xed => (2, 0x80, 0x9f),
            0xe1..=0xef => (2, 0x80, 0xbf),
            0xf0 => (3, 0x90, 0xbf),
            0xf1..=0xf3 => (3, 0x80, 0xbf),
            0xf4 => (3, 0x80, 0x8f),
            // A stray continuation byte, C0, C1, F5..FF: not UTF-8.
            _ => {
                out.extend_from_slice(REPLACEMENT);
                return;
            }
        };
        self.buf.push(b);
        self.state = State::Utf8 { need, lo, hi };
    }

    /// A C1 control (U+0080..U+009F): an introducer starts a sequence that is
    /// dropped whole; the others are dropped.
    fn c1(&mut self, c: u8) {
        match c {
            0x9b => {
                self.buf.extend_from_slice(b"\x1b[");
                self.state = State::Csi { c1: true };
            }
            0x90 | 0x98 | 0x9d | 0x9e | 0x9f => self.state = str_start(),
            _ => self.dropped += 1,
        }
    }

    fn esc(&mut self, b: u8, out: &mut Vec<u8>) {
        match b {
            b'[' if self.buf.len() == 1 => {
                self.buf.push(b);
                self.state = State::Csi { c1: false };
            }
            b']' | b'P' | b'X' | b'^' | b'_' if self.buf.len() == 1 => {
                self.buf.clear();
                self.state = str_start();
            }
            0x20..=0x2f if self.buf.len() < 4 => self.buf.push(b),
            0x30..=0x7e => {
                self.buf.push(b);
                if self.mode == Mode::Terminal && esc_allowed(&self.buf[1..]) {
                    out.extend_from_slice(&self.buf);
                    self.reset();
                } else {
                    self.drop_seq();
                }
            }
            ESC => {
                self.drop_seq();
                self.ground(ESC, out);
            }
            _ => {
                self.drop_seq();
                self.step(b, out)
            }
        }
    }

    fn string(&mut self, b: u8, seen: usize, esc: bool, c2: bool, out: &mut Vec<u8>) {
        if esc {
            // ESC \ is ST; ESC anything else ends the string and starts a sequence.
            self.drop_seq();
            if b != b'\\' {
                self.ground(ESC, out);
                self.step(b, out);
            }
            return;
        }
        let next = |esc, c2| State::Str {
            seen: seen + 1,
            esc,
            c2,
        };
        match b {
            // BEL, CAN, SUB and ST as a UTF-8 encoded C1 end it.
            0x07 | 0x18 | 0x1a => self.drop_seq(),
            0x9c if c2 => self.drop_seq(),
            ESC => self.state = next(true, false),
            _ if seen >= STR_MAX => {
                self.drop_seq();
                self.step(b, out)
            }
            0xc2 => self.state = next(false, true),
            _ => self.state = next(false, false),
        }
    }
}

/// The length of the valid, complete UTF-8 character (not a C1 control) at
/// the start of `b`, if there is one: the ground state's fast path for
/// non-ASCII text (anything else goes through [`Filter::step`]).
fn whole_char(b: &[u8]) -> Option<usize> {
    let (n, lo, hi) = match b[0] {
        0xc2 => (2, 0xa0, 0xbf),
        0xc3..=0xdf => (2, 0x80, 0xbf),
        0xe0 => (3, 0xa0, 0xbf),
        0xed => (3, 0x80, 0x9f),
        0xe1..=0xef => (3, 0x80, 0xbf),
        0xf0 => (4, 0x90, 0xbf),
        0xf1..=0xf3 => (4, 0x80, 0xbf),
        0xf4 => (4, 0x80, 0x8f),
        _ => return None,
    };
    let cont = |c: &u8| (0x80..=0xbf).contains(c);
    (b.len() >= n && (lo..=hi).contains(&b[1]) && b[2..n].iter().all(cont)).then_some(n)
}

fn str_start() -> State {
    State::Str {
        seen: 0,
        esc: false,
        c2: false,
    }
}

/// Is `body` (what follows ESC: intermediates and final) an allowed sequence?
fn esc_allowed(body: &[u8]) -> bool {
    let Some((&fin, inter)) = body.split_last() else {
        return false;
    };
    ESC_RULES
        .iter()
        .any(|(i, finals, _)| *i == inter && finals.contains(&fin))
}

/// Is `body` (what follows CSI, final byte included) an allowed sequence?
fn csi_allowed(body: &[u8]) -> bool {
    let Some((&fin, rest)) = body.split_last() else {
        return false;
    };
    let (prefix, rest) = match rest.first() {
        Some(&p @ (b'<' | b'=' | b'>' | b'?')) => (Some(p), &rest[1..]),
        _ => (None, rest),
    };
    let n = rest
        .iter()
        .position(|b| !matches!(b, b'0'..=b'9' | b';' | b':'))
        .unwrap_or(rest.len());
    let (params, inter) = rest.split_at(n);
    if !inter.iter().all(|b| (0x20..=0x2f).contains(b)) {
        return false;
    }
    let values = params.split(|&b| b == b';' || b == b':');
    if values.clone().any(|v| v.len() > 5) {
        return false;
    }
    CSI_RULES.iter().any(|r| {
        r.prefix == prefix
            && r.inter == inter
            && r.finals.contains(&fin)
            && match r.params {
                Params::Any => true,
                Params::Only(list) => list.contains(&params),
                Params::Modes(modes) => {
                    !params.contains(&b':') && {
                        values.clone().all(|v| {
                            std::str::from_utf8(v)
                                .ok()
                                .and_then(|s| s.parse::<u32>().ok())
                                .is_some_and(|m| modes.contains(&m))
                        })
                    }
                }
            }
    })
}

/// Text with every escape sequence and C1 control removed (the gateway's
/// screen for text a model and a person read); borrowed when there is none.
pub fn strip(s: &str) -> std::borrow::Cow<'_, str> {
    let c1 = |c: char| ('\u{80}'..='\u{9f}').contains(&c);
    if !s.contains(|c: char| c == '\u{1b}' || c1(c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut f = Filter::new(Mode::TextOnly);
    let mut out = Vec::with_capacity(s.len());
    f.push(s.as_bytes(), &mut out);
    f.finish(&mut out);
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mode: Mode, input: &[u8]) -> Vec<u8> {
        let mut f = Filter::new(mode);
        let mut out = Vec::new();
        f.push(input, &mut out);
        f.finish(&mut out);
        out
    }

    fn term(input: &[u8]) -> Vec<u8> {
        run(Mode::Terminal, input)
    }

    /// Output split at every position (and byte by byte) is the same as whole.
    fn same_split(input: &[u8]) {
        let whole = term(input);
        for cut in 0..=input.len() {
            let mut f = Filter::new(Mode::Terminal);
            let mut out = Vec::new();
            f.push(&input[..cut], &mut out);
            f.push(&input[cut..], &mut out);
            f.finish(&mut out);
            assert_eq!(out, whole, "cut at {cut} of {input:?}");
        }
        let mut f = Filter::new(Mode::Terminal);
        let mut out = Vec::new();
        input.iter().for_each(|b| f.push(&[*b], &mut out));
        f.finish(&mut out);
        assert_eq!(out, whole, "byte by byte: {input:?}");
    }

    #[test]
    fn text_and_the_sequences_screens_need_pass() {
        for kept in [
            &b"plain text\r\n\ttab\x08\x07 bell"[..],
            "héllo wörld — ✓ 🦀".as_bytes(),
            b"\x1b[0m\x1b[1;38;2;255;0;0m\x1b[38:5:208m\x1b[m",
            b"\x1b[H\x1b[2J\x1b[10;20H\x1b[3A\x1b[K\x1b[2K\x1b[5X\x1b[2@\x1b[3P",
            b"\x1b[5;20r\x1b[s\x1b[u\x1b[3S\x1b[2T\x1b7\x1b8\x1bM\x1bD\x1bE",
            b"\x1b[?1049h\x1b[?1049l\x1b[?25l\x1b[?25h\x1b[?2004h\x1b[?1000;1006h",
            b"\x1b[?1h\x1b=\x1b>\x1b[?2026h\x1b[?2026l\x1b[4h\x1b[4l",
            b"\x1b[6n\x1b[5n\x1b[?6n\x1b[c\x1b[0c\x1b[>c\x1b[>0c\x1b[?u",
            b"\x1b[>1u\x1b[<u\x1b[=1;1u\x1b[>4;2m\x1b[?2026$p\x1b[2 q\x1b[!p",
            b"\x1b(0lqk\x1b(B\x1b)0\x0e\x0f\x1bc",
        ] {
            assert_eq!(term(kept), kept, "{:?}", String::from_utf8_lossy(kept));
            same_split(kept);
        }
    }

    #[test]
    fn clipboard_titles_reports_and_extensions_are_dropped() {
        for (input, kept) in [
            // OSC 52 clipboard write and read, BEL- and ST-terminated.
            (&b"a\x1b]52;c;aGVsbG8=\x07b"[..], &b"ab"[..]),
            (b"a\x1b]52;c;?\x1b\\b", b"ab"),
            // Title set (OSC 0/1/2), title report (CSI 21 t, CSI 20 t), other window ops.
            (b"\x1b]0;pwned\x07\x1b]2;x\x1b\\t", b"t"),
            (b"x\x1b[21t\x1b[20t\x1b[8;100;100t\x1b[14t\x1b[22;0t", b"x"),
            // DECRQSS, XTGETTCAP, other DCS; SOS, PM, APC.
            (
                b"\x1bP$qm\x1b\\\x1bP+q544e\x1b\\\x1bPq#0;2;0;0;0\x1b\\y",
                b"y",
            ),
            (b"\x1bXsos\x1b\\\x1b^pm\x1b\\\x1b_Ga=T;AAAA\x1b\\z", b"z"),
            // OSC 1337 (iTerm2), hyperlinks, notifications, colour queries.
            (
                b"\x1b]1337;File=inline=1:AAAA\x07\x1b]8;;http://x\x07l\x1b]8;;\x07",
                b"l",
            ),
            (
                b"\x1b]9;hi\x07\x1b]777;notify;a;b\x07\x1b]11;?\x07\x1b]4;1;#fff\x07.",
                b".",
            ),
            // Unknown CSI, unknown private modes, terminal version and DA3 queries.
            (
                b"\x1b[>q\x1b[=c\x1b[?1001h\x1b[?9999h\x1b[?25;9999h\x1b[2h\x1b[x.",
                b".",
            ),
            (b"\x1b[1;2;3+z\x1b[?1$s\x1b[12345678A\x1b[\x3c1;2m.", b"."),
            // Two-byte escapes that are not on the list; 8-bit ST alone.
            (b"\x1b#8\x1b%G\x1b \x46\x1bN\x1bZ.", b"."),
            // C0 controls other than text's, NUL and DEL.
            (b"a\x00b\x01\x1c\x7fc", b"abc"),
            // 8-bit C1 controls, UTF-8 encoded: CSI, OSC, DCS are dropped with their sequence.
            ("a\u{9b}31m\u{9d}52;c;eA==\u{9c}b\u{85}c".as_bytes(), b"abc"),
            // Cancelled and interrupted sequences.
            (b"\x1b[31\x18m\x1b]0;t\x1a.", b"m."),
        ] {
            assert_eq!(
                String::from_utf8_lossy(&term(input)),
                String::from_utf8_lossy(kept),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            same_split(input);
        }
    }

    #[test]
    fn malformed_utf8_is_replaced_never_decoded_into_a_control() {
        let r = "\u{fffd}";
        for (input, kept) in [
            (&b"\xc0\x9b31m"[..], format!("{r}{r}31m")), // overlong ESC/CSI
            (b"\xe0\x80\x9b", format!("{r}{r}{r}")),
            (b"\xed\xa0\x80", format!("{r}{r}{r}")), // surrogate
            (b"\xf4\x90\x80\x80", format!("{r}{r}{r}{r}")), // beyond U+10FFFF
            (b"\x9bx", format!("{r}x")),             // raw 8-bit CSI
            (b"a\xe2\x82", format!("a{r}")),         // cut off at the end
        ] {
            assert_eq!(String::from_utf8_lossy(&term(input)), kept, "{input:?}");
        }
    }

    #[test]
    fn unfinished_sequences_are_bounded() {
        // A CSI that never ends is not held beyond CSI_MAX bytes.
        let mut f = Filter::new(Mode::Terminal);
        let mut out = Vec::new();
        f.push(b"\x1b[", &mut out);
        for _ in 0..10_000 {
            f.push(b"1;", &mut out);
            assert!(f.buf.len() <= CSI_MAX);
        }
        f.push(b"m after", &mut out);
        assert_eq!(out, b" after");
        // At the bound, split or whole: held and passed; one byte more: dropped.
        let longest = format!("\x1b[{}m", "1;".repeat((CSI_MAX - 2) / 2));
        assert_eq!(term(longest.as_bytes()), longest.as_bytes());
        same_split(longest.as_bytes());
        let over = format!("\x1b[{}1mx", "1;".repeat((CSI_MAX - 2) / 2));
        assert_eq!(term(over.as_bytes()), b"x");
        same_split(over.as_bytes());
        // A string that never ends is dropped for STR_MAX bytes, then text again.
        let mut input = b"\x1b]52;c;".to_vec();
        input.extend(std::iter::repeat_n(b'A', STR_MAX + 10));
        let out = term(&input);
        assert_eq!(out.len(), 10 + 5, "{}", out.len());
        assert!(!out.contains(&ESC));
    }

    #[test]
    fn the_output_is_already_clean() {
        // Filtering what passed changes nothing: only whole, allowed
        // sequences are written. Random bytes biased toward escapes.
        let alphabet =
            b"\x1b\x1b[[]]P\\\x07;?>0123456789mhHtqc\xc2\x9b\x9d\x9cab\n\x18\xe2\x82\xac";
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..3000 {
            let input: Vec<u8> = (0..64)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            let once = term(&input);
            assert_eq!(term(&once), once, "{input:?}");
            assert!(std::str::from_utf8(&once).is_ok(), "{input:?}");
            assert!(!once.windows(2).any(|w| w == b"\x1b]" || w == b"\x1bP"));
            same_split(&input[..16]);
        }
    }

    #[test]
    fn modes_left_on_are_put_back_at_the_end() {
        let mut f = Filter::new(Mode::Terminal);
        let mut out = Vec::new();
        f.push(
            b"\x1b[?1049h\x1b[?25l\x1b[?1000;1006h\x1b[?2004h\x1b[>1u\x1b[?1000l",
            &mut out,
        );
        f.push(b"\x1b[?1", &mut out);
        f.push(b"h\x1b[?7l", &mut out);
        let mut end = Vec::new();
        f.restore(&mut end);
        assert_eq!(
            String::from_utf8(end).unwrap(),
            "\x1b[?1049l\x1b[?25h\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b[<1u"
        );
        // A program that cleaned up leaves nothing to do.
        let mut f = Filter::new(Mode::Terminal);
        f.push(
            b"\x1b[?1049h\x1b[>1u\x1b[?1049l\x1b[<u\x1b[?25l\x1b[?25h",
            &mut out,
        );
        let mut end = Vec::new();
        f.restore(&mut end);
        assert!(end.is_empty(), "{end:?}");
    }

    #[test]
    fn text_only_removes_every_sequence() {
        assert_eq!(strip("\u{1b}[31mred\u{1b}[0m ok"), "red ok");
        assert_eq!(
            strip("a\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{1b}\\b"),
            "alinkb"
        );
        assert_eq!(strip("x\u{1b}7y\u{9b}2Jz"), "xyz");
        assert_eq!(strip("tab\tcr\r"), "tab\tcr\r");
        assert!(matches!(strip("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            run(Mode::TextOnly, b"\x1b[?1049h\x1bPq\x1b\\.\x00"),
            b".\x00"
        );
    }
}
