//! busybox's `/etc/inittab`: `id:runlevels:action:process` lines, parsed
//! into a fixed table with no allocator.
//!
//! * `id`: the terminal the process runs on (`tty2` is `/dev/tty2`, a path
//!   is taken as it is); empty: the console.
//! * `runlevels`: ignored, as busybox ignores it.
//! * `action`: `sysinit`, `wait`, `once`, `respawn`, `askfirst`,
//!   `ctrlaltdel`, `shutdown` or `restart`.
//! * `process`: a command line; a leading `-` makes it a login shell.
//!
//! Blank lines and lines starting with `#` are skipped; a bad line is
//! reported (with its number) and skipped, never fatal.

/// The most entries a table holds; more are reported and skipped.
pub const MAX_ENTRIES: usize = 24;
/// The longest `id` field.
const MAX_TTY: usize = 64;
/// The longest `process` field.
const MAX_PROCESS: usize = 255;

/// busybox's defaults, used when there is no inittab.
pub const DEFAULT: &[u8] = b"::sysinit:/etc/init.d/rcS\n\
::askfirst:-/bin/sh\n\
::ctrlaltdel:/sbin/reboot\n\
::shutdown:/bin/umount -a -r\n\
::restart:/sbin/init\n";

/// What an entry is for, and when it runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// At boot, first, one after the other, each waited for.
    Sysinit,
    /// At boot, after every `sysinit`, one after the other, each waited for.
    Wait,
    /// At boot, after every `wait`, started and not waited for.
    Once,
    /// Started after the `wait` entries, and again whenever it exits.
    Respawn,
    /// `respawn`, after "Please press Enter to activate this console."
    Askfirst,
    /// On SIGINT (Ctrl-Alt-Del).
    Ctrlaltdel,
    /// At shutdown, one after the other, each waited for.
    Shutdown,
    /// On SIGQUIT, after the shutdown: replaces rawinit (`exec`).
    Restart,
}

const ACTIONS: [(&[u8], Action); 8] = [
    (b"sysinit", Action::Sysinit),
    (b"wait", Action::Wait),
    (b"once", Action::Once),
    (b"respawn", Action::Respawn),
    (b"askfirst", Action::Askfirst),
    (b"ctrlaltdel", Action::Ctrlaltdel),
    (b"shutdown", Action::Shutdown),
    (b"restart", Action::Restart),
];

/// One line of the inittab, its text copied in.
#[derive(Clone, Copy)]
pub struct Entry {
    pub action: Action,
    tty: [u8; MAX_TTY],
    tty_len: u8,
    process: [u8; MAX_PROCESS],
    process_len: u8,
}

impl Entry {
    /// All zeros (`Sysinit` is 0), so that an empty table is no constant
    /// in the file.
    const EMPTY: Entry = Entry {
        action: Action::Sysinit,
        tty: [0; MAX_TTY],
        tty_len: 0,
        process: [0; MAX_PROCESS],
        process_len: 0,
    };

    /// The `id` field: the terminal, empty for the console.
    pub fn tty(&self) -> &[u8] {
        &self.tty[..usize::from(self.tty_len)]
    }

    /// The `process` field.
    pub fn process(&self) -> &[u8] {
        &self.process[..usize::from(self.process_len)]
    }

    /// The same line (action, terminal, process): how a reload recognises
    /// a service that is still wanted.
    pub fn same(&self, other: &Entry) -> bool {
        self.action == other.action
            && self.tty() == other.tty()
            && self.process() == other.process()
    }
}

/// A parsed inittab.
pub struct Table {
    pub entries: [Entry; MAX_ENTRIES],
    pub len: usize,
}

impl Table {
    pub const EMPTY: Table = Table {
        entries: [Entry::EMPTY; MAX_ENTRIES],
        len: 0,
    };

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries[..self.len].iter()
    }
}

/// Why a line was skipped.
pub enum Bad {
    Fields,
    Action,
    TooLong,
    TooMany,
}

impl Bad {
    pub fn message(&self) -> &'static str {
        match self {
            Bad::Fields => "not id:runlevels:action:process",
            Bad::Action => "unknown action",
            Bad::TooLong => "a field is too long",
            Bad::TooMany => "too many entries",
        }
    }
}

/// Parses `text` into `table` (emptied first); `bad` hears of each line
/// skipped, with its number (from 1).
pub fn parse(text: &[u8], table: &mut Table, mut bad: impl FnMut(usize, Bad)) {
    table.len = 0;
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = trim(line);
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        match parse_line(line) {
            Ok(entry) if table.len < MAX_ENTRIES => {
                table.entries[table.len] = entry;
                table.len += 1;
            }
            Ok(_) => bad(n + 1, Bad::TooMany),
            Err(why) => bad(n + 1, why),
        }
    }
}

fn parse_line(line: &[u8]) -> Result<Entry, Bad> {
    // The first three colons end id, runlevels and action; the process
    // may hold colons of its own.
    let mut colons = [0usize; 3];
    let mut found = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b':' && found < 3 {
            colons[found] = i;
            found += 1;
        }
    }
    if found < 3 {
        return Err(Bad::Fields);
    }
    let [first, second, third] = colons;
    let action = trim(&line[second + 1..third]);
    let Some(&(_, action)) = ACTIONS.iter().find(|(name, _)| *name == action) else {
        return Err(Bad::Action);
    };
    let (tty, process) = (trim(&line[..first]), trim(&line[third + 1..]));
    if process.is_empty() {
        return Err(Bad::Fields);
    }
    if tty.len() > MAX_TTY || process.len() > MAX_PROCESS {
        return Err(Bad::TooLong);
    }
    let mut entry = Entry::EMPTY;
    entry.action = action;
    entry.tty[..tty.len()].copy_from_slice(tty);
    entry.tty_len = tty.len() as u8;
    entry.process[..process.len()].copy_from_slice(process);
    entry.process_len = process.len() as u8;
    Ok(entry)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !first.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !last.is_ascii_whitespace() {
            break;
        }
        s = rest;
    }
    s
}
