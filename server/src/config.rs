//! Settings, from flags or environment variables, with defaults that work from a checkout.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use clap::{Args, Parser, Subcommand};

use crate::{
    net::NetLimits,
    relay::Limits,
    store::{Admission, Quotas, StoreConfig},
};

/// Amplify's server: the app and its sync relay.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the server binary can do besides serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Issue, list and revoke registrations: who may store spaces on this relay.
    #[command(subcommand)]
    Registration(RegistrationCommand),
    /// Copies the relay's SQLite database (in --data-dir) into an empty PostgreSQL database,
    /// then verifies the copy table by table. Stop the relay first.
    CopyToPostgres {
        /// The PostgreSQL database to copy into (`postgres://user:password@host/amplify`).
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum RegistrationCommand {
    /// Issues a registration and prints the code to hand to a programme team.
    Issue {
        /// Your own note of who it is for ("Leadership programme 2027, EMEA"): the relay never
        /// learns participants' names.
        #[arg(long)]
        label: String,
        /// How much the registration's spaces may store together ("10GiB", "500MiB", bytes).
        #[arg(long, default_value = "10GiB", value_parser = parse_bytes)]
        quota: u64,
    },
    /// Lists every registration with its usage.
    List,
    /// Revokes a registration: its spaces store nothing more (what is stored stays readable).
    Revoke {
        /// The registration's id, as `list` shows it.
        id: String,
    },
    /// Changes a registration's quota.
    Quota {
        id: String,
        #[arg(value_parser = parse_bytes)]
        quota: u64,
    },
}

/// How the server runs.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "AMPLIFY_ADDR", default_value = "127.0.0.1", global = true)]
    pub addr: IpAddr,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, env = "AMPLIFY_PORT", default_value_t = 8080, global = true)]
    pub port: u16,
    /// The built app (Trunk's output).
    #[arg(long, env = "AMPLIFY_DIST", default_value = "dist", global = true)]
    pub dist: PathBuf,
    /// Where the relay keeps its database. Created if missing.
    #[arg(long, env = "AMPLIFY_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Keep the relay's data in PostgreSQL instead of the data directory's SQLite file
    /// (`postgres://user:password@host:5432/amplify`): for two or more instances behind one
    /// address. The schema is created or migrated at start.
    #[arg(long, env = "AMPLIFY_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Let any space store without a registration (counted under the open registration's
    /// quota). For trying Amplify on one machine; never on a server others can reach.
    #[arg(long, env = "AMPLIFY_OPEN_ADMISSION", global = true)]
    pub open_admission: bool,
    /// Also serve `/metrics` and `/healthz` on this address (e.g. 127.0.0.1:9090), for
    /// monitoring that should not go through the public address.
    #[arg(long, env = "AMPLIFY_ADMIN_ADDR", global = true)]
    pub admin_addr: Option<SocketAddr>,
    /// Serve `/metrics` on the public address to requests carrying
    /// `Authorization: Bearer <token>`. Without it (and without an admin address) `/metrics`
    /// answers 404.
    #[arg(long, env = "AMPLIFY_METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Origins allowed to open sync connections besides the server's own (comma-separated,
    /// e.g. https://amplify.example.com when behind a proxy that rewrites the host).
    #[arg(long, env = "AMPLIFY_ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub allowed_origins: Vec<String>,
    /// Largest sync frame accepted, in bytes.
    #[arg(long, env = "AMPLIFY_MAX_FRAME_BYTES", default_value_t = 2 * 1024 * 1024, global = true)]
    pub max_frame_bytes: usize,
    /// Frames per second one connection may send, sustained.
    #[arg(long, env = "AMPLIFY_BLOBS_PER_SECOND", default_value_t = 50.0, global = true)]
    pub blobs_per_second: f64,
    /// Frames one connection may send in a burst.
    #[arg(long, env = "AMPLIFY_BLOB_BURST", default_value_t = 500.0, global = true)]
    pub blob_burst: f64,
    /// Documents one space may hold.
    #[arg(long, env = "AMPLIFY_MAX_DOCS_PER_SPACE", default_value_t = 10_000, global = true)]
    pub max_docs_per_space: u64,
    /// Bytes one space may store.
    #[arg(long, env = "AMPLIFY_SPACE_QUOTA", default_value = "256MiB", value_parser = parse_bytes, global = true)]
    pub space_quota: u64,
    /// Bytes one device may store, across its spaces.
    #[arg(long, env = "AMPLIFY_DEVICE_QUOTA", default_value = "512MiB", value_parser = parse_bytes, global = true)]
    pub device_quota: u64,
    /// Bytes the whole relay may store.
    #[arg(long, env = "AMPLIFY_RELAY_QUOTA", default_value = "50GiB", value_parser = parse_bytes, global = true)]
    pub relay_quota: u64,
    /// Bytes the open registration may store (open admission, and spaces from before
    /// registrations).
    #[arg(long, env = "AMPLIFY_OPEN_QUOTA", default_value = "10GiB", value_parser = parse_bytes, global = true)]
    pub open_quota: u64,
    /// Open connections in all, and from one address.
    #[arg(long, env = "AMPLIFY_MAX_CONNECTIONS", default_value_t = 4096, global = true)]
    pub max_connections: usize,
    #[arg(long, env = "AMPLIFY_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256, global = true)]
    pub max_connections_per_address: usize,
    /// Bytes queued for all clients together (live blobs included): with the two budgets
    /// below, what bounds the relay's memory however clients behave.
    #[arg(long, env = "AMPLIFY_SEND_BUDGET", default_value = "256MiB", value_parser = parse_bytes, global = true)]
    pub send_budget: u64,
    /// Bytes of catch-up pages held in memory at once.
    #[arg(long, env = "AMPLIFY_CATCH_UP_BUDGET", default_value = "64MiB", value_parser = parse_bytes, global = true)]
    pub catch_up_budget: u64,
    /// Bytes all large frames (over 16 KiB) in progress may hold together.
    #[arg(long, env = "AMPLIFY_LARGE_FRAME_BUDGET", default_value = "64MiB", value_parser = parse_bytes, global = true)]
    pub large_frame_budget: u64,
    /// Seconds a client may take nothing from its queue before it is dropped.
    #[arg(long, env = "AMPLIFY_SEND_TIMEOUT", default_value_t = 30, global = true)]
    pub send_timeout: u64,
    /// Seconds of silence (not even a pong) before a sync connection is closed; pings go out
    /// every third of it.
    #[arg(long, env = "AMPLIFY_IDLE_TIMEOUT", default_value_t = 60, global = true)]
    pub idle_timeout: u64,
    /// Seconds a new connection has for its request headers.
    #[arg(long, env = "AMPLIFY_HEADER_TIMEOUT", default_value_t = 10, global = true)]
    pub header_timeout: u64,
}

impl Config {
    /// The relay limits these settings ask for.
    pub fn limits(&self) -> Limits {
        let idle = Duration::from_secs(self.idle_timeout.max(3));
        Limits {
            max_frame_bytes: self.max_frame_bytes,
            blobs_per_second: self.blobs_per_second,
            burst: self.blob_burst,
            max_docs_per_space: self.max_docs_per_space,
            send_bytes: usize::try_from(self.send_budget).unwrap_or(usize::MAX),
            catch_up_bytes: usize::try_from(self.catch_up_budget).unwrap_or(usize::MAX),
            send_timeout: Duration::from_secs(self.send_timeout.max(1)),
            idle_timeout: idle,
            ping_interval: idle / 3,
            ..Limits::default()
        }
    }

    pub fn store(&self) -> StoreConfig {
        StoreConfig {
            admission: if self.open_admission { Admission::Open } else { Admission::Registered },
            quotas: Quotas {
                space: self.space_quota,
                device: self.device_quota,
                relay: self.relay_quota,
                open_registration: self.open_quota,
            },
        }
    }

    pub fn net(&self) -> NetLimits {
        NetLimits {
            max_connections: self.max_connections,
            max_per_address: self.max_connections_per_address,
            max_frame: self.max_frame_bytes,
            large_frames: usize::try_from(self.large_frame_budget).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            // Longer than the sync idle deadline, so sessions close themselves first, cleanly.
            idle_timeout: Duration::from_secs(self.idle_timeout.max(3) + 15),
            ..NetLimits::default()
        }
    }
}

/// "10GiB", "500MiB", "64KiB", "1GB" or plain bytes.
///
/// # Errors
/// A message naming what could not be read.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("'{text}' is not a size like 10GiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "kb" => 1000,
        "mib" | "m" => 1 << 20,
        "mb" => 1_000_000,
        "gib" | "g" => 1 << 30,
        "gb" => 1_000_000_000,
        "tib" | "t" => 1 << 40,
        "tb" => 1_000_000_000_000,
        other => return Err(format!("unknown unit '{other}' (use KiB, MiB, GiB or TiB)")),
    };
    number.checked_mul(scale).ok_or_else(|| format!("'{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_bytes("10GiB"), Ok(10 << 30));
        assert_eq!(parse_bytes("500 MiB"), Ok(500 << 20));
        assert_eq!(parse_bytes("1gb"), Ok(1_000_000_000));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
    }
}
