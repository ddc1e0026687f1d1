//! One module per subcommand.
pub mod allow_domain;
pub mod audit;
pub mod check;
pub mod doctor;
pub mod home;
pub mod hook;
pub mod init;
pub mod mcp;
pub mod netrun;
pub mod policy;
pub mod quarantine;
pub mod report;
pub mod run;
pub mod scan;
