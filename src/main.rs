use clap::Parser;

fn main() {
    let cli = rtlgen::cli::Cli::parse();
    if let Err(e) = rtlgen::cli::run(cli) {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
