//! Settings, from flags or environment variables, with defaults that work from a checkout.

use std::{net::IpAddr, path::PathBuf};

use clap::Parser;

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
}
