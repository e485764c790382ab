//! Settings, from flags or environment variables, with defaults that work from a checkout.

use std::{net::IpAddr, path::PathBuf};

use clap::Parser;

use crate::relay::Limits;

/// Amplify's server: the app and its sync relay.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "AMPLIFY_ADDR", default_value = "127.0.0.1")]
    pub addr: IpAddr,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, env = "AMPLIFY_PORT", default_value_t = 8080)]
    pub port: u16,
    /// The built app (Trunk's output).
    #[arg(long, env = "AMPLIFY_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Where the relay keeps its database. Created if missing.
    #[arg(long, env = "AMPLIFY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Largest sync frame accepted, in bytes.
    #[arg(long, env = "AMPLIFY_MAX_FRAME_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_frame_bytes: usize,
    /// Blobs per second one connection may store, sustained.
    #[arg(long, env = "AMPLIFY_BLOBS_PER_SECOND", default_value_t = 50.0)]
    pub blobs_per_second: f64,
    /// Blobs one connection may store in a burst.
    #[arg(long, env = "AMPLIFY_BLOB_BURST", default_value_t = 500.0)]
    pub blob_burst: f64,
    /// Documents one space may hold.
    #[arg(long, env = "AMPLIFY_MAX_DOCS_PER_SPACE", default_value_t = 10_000)]
    pub max_docs_per_space: u64,
}

impl Config {
    /// The relay limits these settings ask for.
    pub fn limits(&self) -> Limits {
        Limits {
            max_frame_bytes: self.max_frame_bytes,
            blobs_per_second: self.blobs_per_second,
            burst: self.blob_burst,
            max_docs_per_space: self.max_docs_per_space,
            ..Limits::default()
        }
    }
}
