//! The commands and options of `mesh`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mesh::{CurveType, Resolution};

/// Every option can also be set through the environment variable named beside it.
#[derive(Parser, Debug)]
#[command(
    name = "mesh",
    version,
    about = "Look into a Mesh server, move points and models in and out of files, make backups"
)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Print results as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// How to reach the server: as the SDK's `Connection` constructors take it.
#[derive(Args, Debug)]
pub struct ConnectionArgs {
    /// The server: `host:port`, `http://host:port` or `https://host:port`.
    #[arg(
        long,
        short = 'a',
        env = "MESH_ADDRESS",
        default_value = "localhost:50051",
        global = true
    )]
    pub address: String,

    /// Connect over TLS, trusting the platform's root certificates (implied
    /// by --tls-root, --token, --token-file and an `https://` address).
    #[arg(long, env = "MESH_TLS", global = true)]
    pub tls: bool,

    /// PEM file of the root certificates to check the server's certificate
    /// against, instead of the platform's.
    #[arg(long, env = "MESH_TLS_ROOT", global = true)]
    pub tls_root: Option<PathBuf>,

    /// Access token to send with every call (`authorization: Bearer …`).
    #[arg(
        long,
        env = "MESH_TOKEN",
        hide_env_values = true,
        conflicts_with = "token_file",
        global = true
    )]
    pub token: Option<String>,

    /// File holding the access token (surrounding white space ignored).
    #[arg(long, env = "MESH_TOKEN_FILE", global = true)]
    pub token_file: Option<PathBuf>,

    /// Sign in with Kerberos (over TLS), asking a ticket for this service
    /// principal, e.g. `HTTP/mesh.example.com@EXAMPLE.COM`, with the
    /// credentials of the user's credential cache (kinit).
    #[arg(
        long,
        env = "MESH_KERBEROS_SERVICE_PRINCIPAL",
        conflicts_with_all = ["token", "token_file"],
        global = true
    )]
    pub kerberos_service_principal: Option<String>,

    /// With --kerberos-service-principal: the user principal to sign in
    /// as, when the credential cache holds several.
    #[arg(
        long,
        env = "MESH_KERBEROS_USER",
        requires = "kerberos_service_principal",
        global = true
    )]
    pub kerberos_user: Option<String>,
}

/// The commands of `mesh`.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// The server's version and name, and this program's.
    Version,
    /// Who the server takes you to be.
    Whoami,
    /// Physical time series: create, show, change.
    #[command(subcommand)]
    Series(SeriesCommand),
    /// Points of a series to and from CSV or Parquet files.
    #[command(subcommand)]
    Points(PointsCommand),
    /// Models to and from model files (JSON, docs/model-file.md).
    #[command(subcommand)]
    Model(ModelCommand),
    /// Evaluates an expression of the calculation language over
    /// [--from, --to) and prints its result: series as CSV or Parquet
    /// (the points of each; several series get a `series` column
    /// numbering them from 0), numbers and texts one per line.
    Calc {
        /// The expression, statements one per line (`## = @t('.Inflow') * 2`).
        expression: String,
        /// Start, included: RFC 3339 (`2024-01-01T00:00:00Z`) or epoch milliseconds.
        #[arg(long, allow_hyphen_values = true)]
        from: String,
        /// End, excluded.
        #[arg(long, allow_hyphen_values = true)]
        to: String,
        /// What searches start from and `@t()` is: an object's or an
        /// attribute's path or id, or a series key [default: nothing].
        #[arg(long)]
        relative_to: Option<String>,
        /// Format of series results [default: from the file's extension, else csv].
        #[arg(long)]
        format: Option<Format>,
        /// The file to write series to [default: stdout].
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Has the server back up everything committed into a new directory
    /// under its --backup-dir, while it goes on serving. Restore by
    /// starting a server with --data-dir on that directory.
    Backup {
        /// Name of the backup's directory [default: backup-<UTC time>].
        name: Option<String>,
    },
}

/// `mesh series …`.
#[derive(Subcommand, Debug)]
pub enum SeriesCommand {
    /// Creates a physical series and commits it; prints it with its key.
    Create {
        /// Catalogue path, beginning and ending with `/`, e.g. `/Plants/A/`.
        #[arg(long)]
        path: String,
        /// Name, without `/`.
        #[arg(long)]
        name: String,
        /// STAIRCASESTARTOFSTEP, PIECEWISELINEAR, STAIRCASE or UNKNOWN.
        #[arg(long, value_parser = curve_type)]
        curve_type: CurveType,
        /// BREAKPOINT, MIN, MIN5, MIN10, MIN15, MIN30, HOUR, DAY, WEEK, MONTH or YEAR.
        #[arg(long, value_parser = resolution)]
        resolution: Resolution,
        /// Unit of measurement, by the name the server lists, e.g. `MWh`.
        #[arg(long)]
        unit: String,
        /// IANA time zone whose local midnight DAY and coarser steps follow.
        #[arg(long)]
        time_zone: Option<String>,
    },
    /// Shows a series.
    Info {
        /// Series key, or the path or id of a time series attribute.
        series: String,
    },
    /// Changes what is given of a series, and commits.
    Update {
        /// Series key, or the path or id of a time series attribute.
        series: String,
        /// New curve type.
        #[arg(long, value_parser = curve_type)]
        curve_type: Option<CurveType>,
        /// New unit of measurement, by name.
        #[arg(long)]
        unit: Option<String>,
        /// New IANA time zone (DAY and coarser resolutions).
        #[arg(long, conflicts_with = "clear_time_zone")]
        time_zone: Option<String>,
        /// Removes the time zone (steps in UTC).
        #[arg(long)]
        clear_time_zone: bool,
    },
}

/// Formats of points files.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Text, header `utc_time,flags,value`.
    Csv,
    /// Apache Parquet, columns `utc_time`, `flags`, `value`.
    Parquet,
}

/// `mesh points …`.
#[derive(Subcommand, Debug)]
pub enum PointsCommand {
    /// Writes the points of a series in [--from, --to) to a file (or stdout).
    Export {
        /// Series key, or the path or id of a time series attribute.
        series: String,
        /// Start, included: RFC 3339 (`2024-01-01T00:00:00Z`) or epoch milliseconds.
        #[arg(long, allow_hyphen_values = true)]
        from: String,
        /// End, excluded.
        #[arg(long, allow_hyphen_values = true)]
        to: String,
        /// Export the series as it was committed at this time (RFC 3339
        /// or epoch milliseconds), from the history the server keeps;
        /// value times no commit had written then are NaN with the
        /// missing flag [default: as it is now].
        #[arg(long, allow_hyphen_values = true)]
        as_of: Option<String>,
        /// File format [default: from the file's extension, else csv].
        #[arg(long)]
        format: Option<Format>,
        /// The file to write [default: stdout].
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Lists the commits that changed a series, newest first: commit
    /// time, the identity that committed, the interval each write
    /// replaced and the points it left in [--from, --to).
    History {
        /// Series key, or the path or id of a time series attribute.
        series: String,
        /// Writes meeting [--from, --to) are listed: RFC 3339 or epoch
        /// milliseconds [default: the year 1].
        #[arg(long, allow_hyphen_values = true)]
        from: Option<String>,
        /// End, excluded [default: the end of the year 9999].
        #[arg(long, allow_hyphen_values = true)]
        to: Option<String>,
        /// The most writes to list, 1 to 1000.
        #[arg(long, default_value_t = 100)]
        max: u32,
    },
    /// Reads points from a file into a series, in one session, and commits
    /// once at the end: the series' points from the file's first time to
    /// its last are replaced by the file's. Nothing is committed on error.
    Import {
        /// CSV with the header `utc_time,flags,value`, or Parquet with
        /// these columns. Times in RFC 3339 or epoch milliseconds.
        file: PathBuf,
        /// Series key, or the path or id of a time series attribute.
        #[arg(long)]
        series: String,
        /// File format [default: from the file's extension, else csv].
        #[arg(long)]
        format: Option<Format>,
    },
}

/// `mesh model …`.
#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Writes models to a model file (or stdout).
    Export {
        /// Models to export, by name [default: all].
        #[arg(long = "model")]
        models: Vec<String>,
        /// The file to write [default: stdout].
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Imports a model file and commits: all of it, or nothing.
    Import {
        /// The model file.
        file: PathBuf,
    },
}

fn curve_type(text: &str) -> Result<CurveType, String> {
    [
        CurveType::StaircaseStartOfStep,
        CurveType::PiecewiseLinear,
        CurveType::Staircase,
        CurveType::Unknown,
    ]
    .into_iter()
    .find(|curve| curve.name().eq_ignore_ascii_case(text))
    .ok_or_else(|| {
        "expected STAIRCASESTARTOFSTEP, PIECEWISELINEAR, STAIRCASE or UNKNOWN".to_string()
    })
}

fn resolution(text: &str) -> Result<Resolution, String> {
    Resolution::ALL
        .into_iter()
        .find(|resolution| resolution.name().eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            let names: Vec<&str> = Resolution::ALL.iter().map(|r| r.name()).collect();
            format!("expected one of {}", names.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn curve_types_and_resolutions_parse_in_any_case() {
        assert_eq!(
            curve_type("piecewiselinear"),
            Ok(CurveType::PiecewiseLinear)
        );
        assert_eq!(resolution("Hour"), Ok(Resolution::Hour));
        assert!(resolution("fortnight").unwrap_err().contains("HOUR"));
    }
}
