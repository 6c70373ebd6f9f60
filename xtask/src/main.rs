//! `cargo xtask setup | serve | test | dist | bench` for the Resilience Playground.
//!
//! Dependencies are kept to `clap` and `flate2`: this crate is compiled on every
//! CI run. Every external tool is installed by `setup`, idempotently, and every
//! child process gets `./node_modules/.bin` and `~/.cargo/bin` first on its PATH.

mod app_files;
mod bench;
mod conformance;
mod dist;
mod proc;
mod setup;
mod test;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An error message for the user. An empty message means "already reported".
pub type Result<T> = std::result::Result<T, String>;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Tasks of the Resilience Playground workspace",
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install the toolchain: wasm32 target, Trunk, wasm-bindgen CLI, node_modules
    /// (wasm-opt, playwright-core, ky), Chromium + chromedriver, and the Python
    /// virtualenv `.venv` of the conformance tests. Idempotent.
    Setup,
    /// Setup, then `trunk serve` on 127.0.0.1.
    Serve {
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Setup, then every test layer (native, conformance with the real
    /// libraries, wasm in headless Chromium, e2e),
    /// stopping at the first failing layer. Ends with one summary line per layer.
    Test {
        /// Run only these layers (repeatable). Default: all, in order.
        #[arg(long, value_enum)]
        only: Vec<Layer>,
    },
    /// Setup of the build tools, `trunk build --release` into dist/, then a
    /// size table (raw and gzip) and the first-load total.
    Dist {
        /// Where the build will be hosted: `/` (the site root) or a path such
        /// as `/playground/` (Trunk's `--public-url`).
        #[arg(long, default_value = "/")]
        public_url: String,
    },
    /// Trunk's post_build hook (Trunk.toml): writes app-files.js, the app's
    /// files the service worker caches for offline use.
    #[command(hide = true)]
    AppFiles,
    /// `cargo bench` for the `policy` and `flaky` packages.
    Bench,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Layer {
    /// `cargo fmt --check` and `cargo clippy --all-targets -- -D warnings`
    /// (native, and the browser crates for wasm32).
    Lint,
    Native,
    /// `playground plan` against the real libraries (Python and JavaScript).
    Conformance,
    Wasm,
    E2e,
}

impl Layer {
    pub const ALL: [Layer; 5] = [
        Layer::Lint,
        Layer::Native,
        Layer::Conformance,
        Layer::Wasm,
        Layer::E2e,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Lint => "lint",
            Layer::Native => "native",
            Layer::Conformance => "conformance",
            Layer::Wasm => "wasm",
            Layer::E2e => "e2e",
        }
    }
}

/// What every task needs to know about where it runs.
pub struct Ctx {
    /// The workspace root (the directory holding the root Cargo.toml).
    pub root: PathBuf,
    /// The cargo binary to run for nested cargo commands.
    pub cargo: PathBuf,
}

impl Ctx {
    fn new() -> Result<Ctx> {
        // `cargo run` sets CARGO_MANIFEST_DIR at run time too; fall back to the
        // compile-time value when the binary is started by hand.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| {
                format!(
                    "cannot find the workspace root above {}",
                    manifest_dir.display()
                )
            })?;
        if !root.join("Cargo.toml").is_file() {
            return Err(format!(
                "no Cargo.toml in the workspace root {}",
                root.display()
            ));
        }
        let cargo = std::env::var_os("CARGO")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("cargo"));
        Ok(Ctx { root, cargo })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = Ctx::new().and_then(|ctx| {
        proc::prepend_tool_paths(&ctx.root)?;
        match cli.cmd {
            Cmd::Setup => setup::setup(&ctx, setup::Scope::All),
            Cmd::Serve { port } => serve(&ctx, port),
            Cmd::Test { only } => test::test(&ctx, &only),
            Cmd::Dist { public_url } => dist::dist(&ctx, &public_url),
            Cmd::AppFiles => app_files::app_files(),
            Cmd::Bench => bench::bench(&ctx),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("xtask: error: {msg}");
            }
            ExitCode::FAILURE
        }
    }
}

fn serve(ctx: &Ctx, port: u16) -> Result<()> {
    setup::setup(ctx, setup::Scope::BuildTools)?;
    println!("serve: http://127.0.0.1:{port}/");
    let mut cmd = proc::command("trunk", &ctx.root);
    cmd.args(["serve", "--address", "127.0.0.1", "--port"])
        .arg(port.to_string());
    proc::run(&mut cmd)
}
