//! A Python web server on the host's 127.0.0.1 (`serve.py` beside this file),
//! killed on drop. Shared by cordon-net's proxy tests and cordon's
//! in-sandbox network tests (included with `#[path]`).
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Serve `dir` with `serve_py`; over TLS with `tls/{cert,key}.pem` if given.
    pub fn start(serve_py: &Path, dir: &Path, tls: Option<&Path>) -> Server {
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(serve_py).arg(dir);
        if let Some(t) = tls {
            cmd.arg(t.join("cert.pem")).arg(t.join("key.pem"));
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("serve.py prints its port");
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
