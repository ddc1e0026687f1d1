//! Risk classes: what an action can do, independent of who asked for it.

use serde::{Deserialize, Serialize};

/// The effect classes a simple command or tool call can have.
///
/// The table in `table.rs` assigns them to commands and flags; `decide.rs`
/// turns them into a verdict.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[serde(rename_all = "kebab-case")]
pub enum RiskClass {
    /// Reads files or state; changes nothing.
    ReadOnly,
    /// Writes or deletes files inside the workspace (or scratch space such as /tmp).
    WriteWorkspace,
    /// Writes files outside the workspace.
    WriteOutside,
    /// Runs the project's own code: builds, tests, scripts, interpreters.
    RunsCode,
    /// Installs packages (runs their install scripts).
    Install,
    /// Fetches from the network.
    NetRead,
    /// Sends or uploads data over the network, or pushes.
    NetSend,
    /// Deletes or overwrites irreversibly (force push, hard reset, rm -rf outside).
    Destructive,
    /// Gains privilege: sudo, su, setuid, capabilities.
    Privilege,
    /// Survives the session: cron, systemd, shell rc files, authorized_keys, git hooks.
    Persistence,
    /// Touches credentials: key files, token commands, environment dumps.
    Credential,
    /// Tries to get around cordon: its config or journal, namespaces, mounts, privileged containers.
    Evasion,
    /// Downloads code and runs it.
    RemoteExec,
    /// Built at run time or unparsable: cannot be analysed before it runs.
    Opaque,
    /// A command cordon does not know.
    Unknown,
    /// Runs without end and can exhaust CPU, memory or disk (`yes > /dev/null`,
    /// `cat /dev/zero > file`): a denial of service even inside the sandbox.
    Exhaust,
}

impl RiskClass {
    /// Every class, in severity order (lowest first).
    pub const ALL: [RiskClass; 16] = [
        RiskClass::ReadOnly,
        RiskClass::WriteWorkspace,
        RiskClass::WriteOutside,
        RiskClass::RunsCode,
        RiskClass::Install,
        RiskClass::NetRead,
        RiskClass::NetSend,
        RiskClass::Exhaust,
        RiskClass::Destructive,
        RiskClass::Privilege,
        RiskClass::Persistence,
        RiskClass::Credential,
        RiskClass::Evasion,
        RiskClass::RemoteExec,
        RiskClass::Opaque,
        RiskClass::Unknown,
    ];

    /// Can an action of this class move data out of the machine? Used for the
    /// lethal trifecta: while a session is tainted such actions need a person,
    /// and together with credential access they are refused.
    pub fn is_egress(self) -> bool {
        matches!(
            self,
            RiskClass::NetRead | RiskClass::NetSend | RiskClass::RemoteExec
        )
    }

    /// How much a person should care, for ordering reasons (higher first).
    pub fn severity(self) -> u8 {
        match self {
            RiskClass::ReadOnly => 1,
            RiskClass::WriteWorkspace => 2,
            RiskClass::WriteOutside => 3,
            RiskClass::RunsCode => 4,
            RiskClass::Install => 5,
            RiskClass::NetRead => 6,
            RiskClass::Unknown => 7,
            RiskClass::NetSend => 8,
            RiskClass::Opaque => 9,
            RiskClass::Exhaust => 10,
            RiskClass::Destructive => 10,
            RiskClass::Privilege => 11,
            RiskClass::Persistence => 12,
            RiskClass::Credential => 13,
            RiskClass::RemoteExec => 14,
            RiskClass::Evasion => 15,
        }
    }

    /// The kebab-case name used in JSON and docs.
    pub fn name(self) -> &'static str {
        match self {
            RiskClass::ReadOnly => "read-only",
            RiskClass::WriteWorkspace => "write-workspace",
            RiskClass::WriteOutside => "write-outside",
            RiskClass::RunsCode => "runs-code",
            RiskClass::Install => "install",
            RiskClass::NetRead => "net-read",
            RiskClass::NetSend => "net-send",
            RiskClass::Destructive => "destructive",
            RiskClass::Privilege => "privilege",
            RiskClass::Persistence => "persistence",
            RiskClass::Credential => "credential",
            RiskClass::Evasion => "evasion",
            RiskClass::RemoteExec => "remote-exec",
            RiskClass::Opaque => "opaque",
            RiskClass::Unknown => "unknown",
            RiskClass::Exhaust => "exhaust",
        }
    }

    /// A short phrase for reasons: "`cmd` <phrase>".
    pub fn phrase(self) -> &'static str {
        match self {
            RiskClass::ReadOnly => "only reads",
            RiskClass::WriteWorkspace => "writes inside the workspace",
            RiskClass::WriteOutside => "writes outside the workspace",
            RiskClass::RunsCode => "runs project code",
            RiskClass::Install => "installs packages",
            RiskClass::NetRead => "fetches from the network",
            RiskClass::NetSend => "sends data over the network",
            RiskClass::Destructive => "deletes or overwrites irreversibly",
            RiskClass::Privilege => "gains privilege",
            RiskClass::Persistence => "installs something that outlives the session",
            RiskClass::Credential => "touches credentials",
            RiskClass::Evasion => "tampers with cordon, the sandbox or the system's defences",
            RiskClass::RemoteExec => "downloads code and runs it",
            RiskClass::Opaque => "is built at run time and cannot be checked in advance",
            RiskClass::Unknown => "is not a command cordon knows",
            RiskClass::Exhaust => "runs without end and can exhaust CPU, memory or disk",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A small set of classes (a bit set; cheap to copy and combine).
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct ClassSet(u32);

impl ClassSet {
    pub const EMPTY: ClassSet = ClassSet(0);

    /// A set from a list (usable in `const` tables).
    pub const fn of(classes: &[RiskClass]) -> ClassSet {
        let mut bits = 0u32;
        let mut i = 0;
        while i < classes.len() {
            bits |= 1 << (classes[i] as u32);
            i += 1;
        }
        ClassSet(bits)
    }
    pub fn insert(&mut self, c: RiskClass) {
        self.0 |= c.bit();
    }
    pub fn contains(self, c: RiskClass) -> bool {
        self.0 & c.bit() != 0
    }
    pub fn union(self, o: ClassSet) -> ClassSet {
        ClassSet(self.0 | o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn remove(&mut self, c: RiskClass) {
        self.0 &= !c.bit();
    }
    /// The classes, lowest severity first.
    pub fn iter(self) -> impl Iterator<Item = RiskClass> {
        RiskClass::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
    pub fn any_egress(self) -> bool {
        self.iter().any(RiskClass::is_egress)
    }
}

impl FromIterator<RiskClass> for ClassSet {
    fn from_iter<T: IntoIterator<Item = RiskClass>>(iter: T) -> Self {
        let mut s = ClassSet::EMPTY;
        for c in iter {
            s.insert(c);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for c in RiskClass::ALL {
            let j = serde_json::to_string(&c).unwrap();
            assert_eq!(j, format!("\"{}\"", c.name()));
            assert_eq!(serde_json::from_str::<RiskClass>(&j).unwrap(), c);
        }
    }

    #[test]
    fn set_operations() {
        let s = ClassSet::of(&[RiskClass::NetSend, RiskClass::ReadOnly]);
        assert!(s.contains(RiskClass::NetSend));
        assert!(!s.contains(RiskClass::Credential));
        assert!(s.any_egress());
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [RiskClass::ReadOnly, RiskClass::NetSend]
        );
    }
}
