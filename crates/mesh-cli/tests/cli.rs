//! The `mesh` binary end to end, against a server in this process on a
//! real socket with its store on disk: every command, the round trip of a
//! million points through CSV and Parquet, bad files, models, backups.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Instant;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType, UInt32Type};
use arrow_array::{Float64Array, RecordBatch, TimestampMillisecondArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use mesh_server::config::ServerConfig;
use mesh_server::server::RunningServer;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde_json::Value;

const MESH: &str = env!("CARGO_BIN_EXE_mesh");
/// 2000-01-01T00:00:00Z.
const Y2000: i64 = 946_684_800_000;
const HOUR: i64 = 3_600_000;
const MILLION: usize = 1_000_000;

/// A server in this process, with a backup directory; it serves on its
/// runtime's threads while the test runs `mesh` commands.
struct Server {
    address: String,
    dir: tempfile::TempDir,
    _server: RunningServer,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        Server::on(dir, "data")
    }

    fn on(dir: tempfile::TempDir, data: &str) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = ServerConfig::for_tests(dir.path().join(data));
        config.backup_dir = Some(dir.path().join("backups"));
        let server = runtime.block_on(RunningServer::start(config)).unwrap();
        Server {
            address: server.local_addr().to_string(),
            dir,
            _server: server,
            runtime,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `mesh` against this server.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(MESH)
            .env_clear()
            .env("MESH_ADDRESS", &self.address)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs `mesh`, which must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "mesh {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `mesh --json`, which must succeed; its JSON answer.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Runs `mesh`, which must fail with exit code 1 and one line
    /// `mesh: …` on stderr; that line.
    fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(output.status.code(), Some(1), "mesh {args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
        assert!(stderr.starts_with("mesh: "), "{stderr}");
        stderr
    }

    /// A new series; its key.
    fn create(&self, name: &str, resolution: &str) -> i64 {
        self.json(&[
            "series",
            "create",
            "--path",
            "/cli/",
            "--name",
            name,
            "--curve-type",
            "STAIRCASESTARTOFSTEP",
            "--resolution",
            resolution,
            "--unit",
            "MWh",
        ])["key"]
            .as_i64()
            .unwrap()
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `n` hourly points from 2000 with values of every kind: any bit pattern
/// that is a number (subnormals, extremes, -0.0, infinities), NaN, and
/// plain decimals; flags of several kinds.
fn points(n: usize, seed: u64) -> Vec<(i64, u32, f64)> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let bits = rng.next();
            let value = match bits % 5 {
                0 => f64::NAN,
                1 => (bits % 100_000) as f64 / 100.0,
                _ => {
                    let v = f64::from_bits(rng.next());
                    if v.is_nan() {
                        -0.0
                    } else {
                        v
                    }
                }
            };
            let flags = [0, 0x4000_0000, 0x0400_0000, 1, u32::MAX][(bits % 7 % 5) as usize];
            (Y2000 + i as i64 * HOUR, flags, value)
        })
        .collect()
}

/// Bits of every field, to compare exactly (NaN included).
fn bits(points: &[(i64, u32, f64)]) -> Vec<(i64, u32, u64)> {
    points
        .iter()
        .map(|&(t, f, v)| (t, f, v.to_bits()))
        .collect()
}

fn rfc3339(ms: i64) -> String {
    mesh_timeseries::format_utc_ms(ms)
}

/// A CSV points file; times alternate between RFC 3339 and epoch ms.
fn write_csv(path: &Path, points: &[(i64, u32, f64)]) {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(File::create(path).unwrap());
    writeln!(file, "utc_time,flags,value").unwrap();
    for (i, (t, flags, value)) in points.iter().enumerate() {
        if i % 2 == 0 {
            writeln!(file, "{},{flags},{value:?}", rfc3339(*t)).unwrap();
        } else {
            writeln!(file, "{t},{flags},{value:?}").unwrap();
        }
    }
    file.flush().unwrap();
}

/// The points of a CSV file as `mesh points export` writes it.
fn read_csv(path: &Path) -> Vec<(i64, u32, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("utc_time,flags,value"));
    lines
        .map(|line| {
            let mut fields = line.split(',');
            let time = fields.next().unwrap();
            let time = mesh::chrono::DateTime::parse_from_rfc3339(time)
                .unwrap()
                .timestamp_millis();
            let flags = fields.next().unwrap().parse().unwrap();
            let value = fields.next().unwrap().parse().unwrap();
            (time, flags, value)
        })
        .collect()
}

fn parquet_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new(
            "utc_time",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new("flags", DataType::UInt32, true),
        Field::new("value", DataType::Float64, true),
    ]))
}

/// A Parquet points file, in row groups of 100,000; `null_value_at` makes
/// one value null.
fn write_parquet(path: &Path, points: &[(i64, u32, f64)], null_value_at: Option<usize>) {
    let mut writer =
        ArrowWriter::try_new(File::create(path).unwrap(), parquet_schema(), None).unwrap();
    for (index, chunk) in points.chunks(100_000).enumerate() {
        let base = index * 100_000;
        let values: Float64Array = chunk
            .iter()
            .enumerate()
            .map(|(i, p)| (Some(base + i) != null_value_at).then_some(p.2))
            .collect();
        let batch = RecordBatch::try_new(
            parquet_schema(),
            vec![
                Arc::new(
                    TimestampMillisecondArray::from_iter_values(chunk.iter().map(|p| p.0))
                        .with_timezone("UTC"),
                ),
                Arc::new(UInt32Array::from_iter_values(chunk.iter().map(|p| p.1))),
                Arc::new(values),
            ],
        )
        .unwrap();
        writer.write(&batch).unwrap();
    }
    writer.close().unwrap();
}

fn read_parquet(path: &Path) -> Vec<(i64, u32, f64)> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let times = batch.column(0).as_primitive::<TimestampMillisecondType>();
        let flags = batch.column(1).as_primitive::<UInt32Type>();
        let values = batch.column(2).as_primitive::<Float64Type>();
        for row in 0..batch.num_rows() {
            out.push((times.value(row), flags.value(row), values.value(row)));
        }
    }
    out
}

/// `mesh points export` of `key` over the hours of `points`, to `file`.
fn export(server: &Server, key: i64, points: &[(i64, u32, f64)], file: &Path) -> Value {
    let from = points[0].0.to_string();
    let to = (points[points.len() - 1].0 + HOUR).to_string();
    server.json(&[
        "points",
        "export",
        &key.to_string(),
        "--from",
        &from,
        "--to",
        &to,
        "-o",
        file.to_str().unwrap(),
    ])
}

#[test]
fn version_whoami_and_series_commands() {
    let server = Server::start();
    let version = server.json(&["version"]);
    assert!(version["server_version"].as_str().unwrap().contains('+'));
    assert_eq!(version["client_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(server.json(&["whoami"])["display_name"], "anonymous");
    // Human output: one aligned line per field.
    assert!(server.ok(&["whoami"]).contains("identifier    anonymous"));

    let key = server.create("Inflow", "hour");
    let info = server.json(&["series", "info", &key.to_string()]);
    assert_eq!(info["path"], "Resource/cli/Inflow");
    assert_eq!(info["resolution"], "HOUR");
    assert_eq!(info["unit"], "MWh");
    assert_eq!(info["time_zone"], Value::Null);

    let updated = server.json(&[
        "series",
        "update",
        &key.to_string(),
        "--curve-type",
        "piecewiselinear",
    ]);
    assert_eq!(updated["curve_type"], "PIECEWISELINEAR");
    // Committed: a new session sees it.
    assert_eq!(
        server.json(&["series", "info", &key.to_string()])["curve_type"],
        "PIECEWISELINEAR"
    );

    let missing = server.fails(&["series", "info", "424242"]);
    assert!(
        missing.contains("424242") && missing.contains("not found"),
        "{missing}"
    );
    let taken = server.fails(&[
        "series",
        "create",
        "--path",
        "/cli/",
        "--name",
        "Inflow",
        "--curve-type",
        "staircase",
        "--resolution",
        "hour",
        "--unit",
        "MWh",
    ]);
    assert!(taken.contains("already exists"), "{taken}");
    // Usage errors are clap's (exit code 2), naming the choices.
    let usage = server.run(&["series", "info"]);
    assert_eq!(usage.status.code(), Some(2));
    let bad = server.run(&[
        "series",
        "create",
        "--path",
        "/x/",
        "--name",
        "y",
        "--curve-type",
        "staircase",
        "--resolution",
        "fortnight",
        "--unit",
        "MWh",
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("HOUR"));
    // Nobody there: one line saying so.
    let nobody = Command::new(MESH)
        .env_clear()
        .args(["-a", "127.0.0.1:1", "version"])
        .output()
        .unwrap();
    assert_eq!(nobody.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nobody.stderr).starts_with("mesh: cannot connect"));
}

#[test]
fn a_million_points_round_trip_bit_exactly_through_csv_and_parquet() {
    let server = Server::start();
    let original = points(MILLION, 0x5eed);

    let key = server.create("Csv", "HOUR");
    let csv = server.path("in.csv");
    write_csv(&csv, &original);
    let started = Instant::now();
    let imported = server.json(&[
        "points",
        "import",
        csv.to_str().unwrap(),
        "--series",
        &key.to_string(),
    ]);
    let import_took = started.elapsed();
    assert_eq!(imported["points"], MILLION);
    let out = server.path("out.csv");
    let started = Instant::now();
    assert_eq!(export(&server, key, &original, &out)["points"], MILLION);
    let export_took = started.elapsed();
    assert_eq!(bits(&read_csv(&out)), bits(&original));
    eprintln!(
        "CSV, {MILLION} points ({} MB): import {import_took:?}, export {export_took:?}",
        std::fs::metadata(&csv).unwrap().len() / 1_000_000
    );
    // Exported files import again as they are.
    server.ok(&[
        "points",
        "import",
        out.to_str().unwrap(),
        "--series",
        &key.to_string(),
    ]);

    let key = server.create("Parquet", "HOUR");
    let parquet = server.path("in.parquet");
    write_parquet(&parquet, &original, None);
    let started = Instant::now();
    server.ok(&[
        "points",
        "import",
        parquet.to_str().unwrap(),
        "--series",
        &key.to_string(),
    ]);
    let import_took = started.elapsed();
    let out = server.path("out.parquet");
    let started = Instant::now();
    export(&server, key, &original, &out);
    let export_took = started.elapsed();
    assert_eq!(bits(&read_parquet(&out)), bits(&original));
    eprintln!(
        "Parquet, {MILLION} points ({} MB): import {import_took:?}, export {export_took:?}",
        std::fs::metadata(&parquet).unwrap().len() / 1_000_000
    );
}

#[test]
fn bad_files_name_their_line_or_row_and_commit_nothing() {
    let server = Server::start();
    let key = server.create("Bad", "BREAKPOINT");
    let hourly = server.create("BadHourly", "HOUR");
    let good = points(400_000, 7);
    let span = (
        good[0].0.to_string(),
        (good[good.len() - 1].0 + HOUR).to_string(),
    );
    let committed = |key: i64| -> u64 {
        server.json(&[
            "points",
            "export",
            &key.to_string(),
            "--from",
            &span.0,
            "--to",
            &span.1,
            "-o",
            server.path("check.csv").to_str().unwrap(),
        ])["points"]
            .as_u64()
            .unwrap()
    };
    let import_fails = |file: &Path, key: i64| -> String {
        server.fails(&[
            "points",
            "import",
            file.to_str().unwrap(),
            "--series",
            &key.to_string(),
        ])
    };

    // Past the first pieces, which the session already holds when the
    // bad line comes: line 350,002 (header on line 1).
    let csv = server.path("bad-value.csv");
    write_csv(&csv, &good);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let broken = format!("{},0,twelve", good[350_000].0);
    lines[350_001] = &broken;
    std::fs::write(&csv, lines.join("\n")).unwrap();
    let error = import_fails(&csv, key);
    assert!(
        error.contains("bad-value.csv") && error.contains("line 350002"),
        "{error}"
    );
    assert!(error.contains("twelve"), "{error}");

    let unordered = format!("{},0,1.0", good[10].0);
    lines[350_001] = &unordered;
    std::fs::write(&csv, lines.join("\n")).unwrap();
    let error = import_fails(&csv, key);
    assert!(
        error.contains("line 350002") && error.contains("does not come after"),
        "{error}"
    );

    let empty = format!("{},0,", good[350_000].0);
    lines[350_001] = &empty;
    std::fs::write(&csv, lines.join("\n")).unwrap();
    let error = import_fails(&csv, key);
    assert!(error.contains("line 350002: value is empty"), "{error}");

    let off_grid = format!("{},0,1.0", good[350_000].0 + 1);
    lines[350_001] = &off_grid;
    std::fs::write(&csv, lines.join("\n")).unwrap();
    let error = import_fails(&csv, hourly);
    assert!(
        error.contains("line 350002") && error.contains("grid"),
        "{error}"
    );

    let bad_time = "next tuesday,0,1.0".to_string();
    lines[3] = &bad_time;
    std::fs::write(&csv, lines.join("\n")).unwrap();
    let error = import_fails(&csv, key);
    assert!(
        error.contains("line 4: utc_time \"next tuesday\""),
        "{error}"
    );

    std::fs::write(&csv, "time,flags,value\n2024-01-01T00:00:00Z,0,1\n").unwrap();
    let error = import_fails(&csv, key);
    assert!(error.contains("utc_time"), "{error}");

    let parquet = server.path("bad.parquet");
    write_parquet(&parquet, &good, Some(300_000));
    let error = import_fails(&parquet, key);
    assert!(error.contains("row 300001: value is null"), "{error}");

    assert_eq!(committed(key), 0);
    // An hourly series reads as filled steps: all of them missing.
    assert_eq!(committed(hourly), 400_000);
    let steps = read_csv(&server.path("check.csv"));
    assert!(
        steps
            .iter()
            .all(|&(_, flags, value)| value.is_nan() && flags == mesh::flags::MISSING),
        "a point of a failed import was committed"
    );
}

#[test]
fn models_export_and_import_through_files() {
    let server = Server::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hydro-model.json");
    let imported = server.json(&["model", "import", example.to_str().unwrap()]);
    assert!(imported["objects"].as_i64().unwrap() > 0, "{imported}");
    let exported = server.path("exported.json");
    server.ok(&["model", "export", "-o", exported.to_str().unwrap()]);
    let text = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(
        server.ok(&["model", "export"]),
        text,
        "stdout and file differ"
    );

    // Into another server: the same model, the same file.
    let other = Server::start();
    other.ok(&["model", "import", exported.to_str().unwrap()]);
    assert_eq!(other.ok(&["model", "export"]), text);
    let refused = other.fails(&["model", "import", exported.to_str().unwrap()]);
    assert!(refused.contains("exported.json"), "{refused}");

    // Series named by a time series attribute's path.
    let key = server.create("AltaProduction", "HOUR");
    let attribute = "Model/Nordic/North/Alta.Production";
    server.runtime.block_on(async {
        let connection = mesh::Connection::insecure(&server.address).await.unwrap();
        let session = connection.open_session().await.unwrap();
        session
            .update_timeseries_attribute(attribute, Some(key), None)
            .await
            .unwrap();
        session.commit().await.unwrap();
        session.close().await.unwrap();
    });
    assert_eq!(server.json(&["series", "info", attribute])["key"], key);
    let production = points(500, 11);
    let csv = server.path("production.csv");
    write_csv(&csv, &production);
    server.ok(&[
        "points",
        "import",
        csv.to_str().unwrap(),
        "--series",
        attribute,
    ]);
    let out = server.path("production-out.csv");
    let from = production[0].0.to_string();
    let to = (production[499].0 + HOUR).to_string();
    server.ok(&[
        "points",
        "export",
        attribute,
        "--from",
        &from,
        "--to",
        &to,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(bits(&read_csv(&out)), bits(&production));
    let unconnected = server.fails(&["series", "info", "Model/Nordic/North/Store Vatn.Volume"]);
    assert!(unconnected.contains("Store Vatn.Volume"), "{unconnected}");
}

#[test]
fn calculations_print_series_numbers_and_texts() {
    let server = Server::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hydro-model.json");
    server.ok(&["model", "import", example.to_str().unwrap()]);
    let key = server.create("AltaCalc", "HOUR");
    let attribute = "Model/Nordic/North/Alta.Production";
    server.runtime.block_on(async {
        let connection = mesh::Connection::insecure(&server.address).await.unwrap();
        let session = connection.open_session().await.unwrap();
        session
            .update_timeseries_attribute(attribute, Some(key), None)
            .await
            .unwrap();
        session.commit().await.unwrap();
        session.close().await.unwrap();
    });
    let production: Vec<(i64, u32, f64)> =
        (0..24).map(|h| (Y2000 + h * HOUR, 0, h as f64)).collect();
    let csv = server.path("calc-in.csv");
    write_csv(&csv, &production);
    server.ok(&[
        "points",
        "import",
        csv.to_str().unwrap(),
        "--series",
        attribute,
    ]);
    let (from, to) = (Y2000.to_string(), (Y2000 + 24 * HOUR).to_string());
    let interval = ["--from", from.as_str(), "--to", to.as_str()];

    let out = server.path("calc-out.csv");
    let mut args = vec!["calc", "## = @t('.Production') * 2"];
    args.extend(interval);
    args.extend([
        "--relative-to",
        "Model/Nordic/North/Alta",
        "-o",
        out.to_str().unwrap(),
    ]);
    server.ok(&args);
    let doubled: Vec<(i64, u32, f64)> = production
        .iter()
        .map(|&(t, f, v)| (t, f, 2.0 * v))
        .collect();
    assert_eq!(bits(&read_csv(&out)), bits(&doubled));

    let mut args = vec!["calc", "## = @SUM(@t())"];
    args.extend(interval);
    args.extend(["--relative-to", attribute]);
    assert_eq!(server.ok(&args).trim(), "276");
    let mut args = vec!["calc", "## = 'plant'"];
    args.extend(interval);
    assert_eq!(server.json(&args)["strings"], serde_json::json!(["plant"]));
    let mut args = vec!["calc", "## = @t("];
    args.extend(interval);
    let refused = server.fails(&args);
    assert!(refused.contains("line 1, column"), "{refused}");
}

/// Milliseconds since the Unix epoch now, on this machine's clock (the
/// server's, which runs in this process).
fn now_ms() -> i64 {
    mesh::chrono::Utc::now().timestamp_millis()
}

#[test]
fn points_export_as_of_and_history_read_the_kept_writes() {
    let server = Server::start();
    let key = server.create("AsOf", "HOUR");
    let first: Vec<(i64, u32, f64)> = (0..24).map(|h| (Y2000 + h * HOUR, 0, 1.0)).collect();
    let second: Vec<(i64, u32, f64)> = (0..24).map(|h| (Y2000 + h * HOUR, 0, 2.0)).collect();
    let csv = server.path("as-of-in.csv");
    let series = key.to_string();
    let import = |points: &[(i64, u32, f64)]| {
        write_csv(&csv, points);
        server.ok(&[
            "points",
            "import",
            csv.to_str().unwrap(),
            "--series",
            &series,
        ]);
    };
    // Commit times are milliseconds: a few between the commits and the
    // time in between keep them apart.
    import(&first);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let between = now_ms();
    std::thread::sleep(std::time::Duration::from_millis(5));
    import(&second);

    let out = server.path("as-of-out.csv");
    let (from, to) = (Y2000.to_string(), (Y2000 + 24 * HOUR).to_string());
    let mut args = vec!["points", "export", &series, "--from", &from, "--to", &to];
    args.extend(["-o", out.to_str().unwrap()]);
    server.json(&args);
    assert_eq!(bits(&read_csv(&out)), bits(&second));
    let between = between.to_string();
    args.extend(["--as-of", &between]);
    let answer = server.json(&args);
    assert_eq!(answer["points"], 24);
    assert_eq!(answer["as_of"], rfc3339(between.parse().unwrap()));
    assert_eq!(bits(&read_csv(&out)), bits(&first));

    // Before the first commit nothing was written: NaN, flagged missing.
    let before = (Y2000 - HOUR).to_string();
    let mut args = vec!["points", "export", &series, "--from", &from, "--to", &to];
    args.extend(["-o", out.to_str().unwrap(), "--as-of", &before]);
    server.json(&args);
    let nothing = read_csv(&out);
    assert_eq!(nothing.len(), 24);
    assert!(nothing
        .iter()
        .all(|&(_, flags, value)| value.is_nan() && flags & mesh::flags::MISSING != 0));

    // A bad time is the command's refusal; a future one the server's.
    let mut args = vec!["points", "export", &series, "--from", &from, "--to", &to];
    args.extend(["--as-of", "yesterday"]);
    assert!(server.fails(&args).contains("--as-of"));
    let future = (now_ms() + 86_400_000).to_string();
    let mut args = vec!["points", "export", &series, "--from", &from, "--to", &to];
    args.extend(["--as-of", &future]);
    assert!(server.fails(&args).contains("future"));

    // The two commits, newest first, by whoever this is, 24 points each.
    let me = server.json(&["whoami"]);
    let author = me["identifier"].as_str().filter(|a| !a.is_empty());
    let history = server.json(&["points", "history", &series]);
    assert_eq!(history["series"], key);
    assert_eq!(history["more"], false);
    let writes = history["writes"].as_array().unwrap();
    assert_eq!(writes.len(), 2, "{history}");
    assert!(writes[0]["commit"].as_u64() > writes[1]["commit"].as_u64());
    for write in writes {
        assert_eq!(write["points"], 24);
        assert_eq!(write["start"], rfc3339(Y2000));
        assert_eq!(write["end"], rfc3339(Y2000 + 23 * HOUR + 1));
        assert_eq!(write["author"].as_str(), author);
    }
    // Bounded, saying so; counted inside --from/--to.
    let one = server.json(&[
        "points",
        "history",
        &series,
        "--max",
        "1",
        "--to",
        &rfc3339(Y2000 + HOUR),
    ]);
    assert_eq!(one["more"], true);
    assert_eq!(one["writes"][0]["points"], 1);
    assert_eq!(one["writes"][0]["commit"], writes[0]["commit"]);
    // For people: a header and a line per write.
    let table = server.ok(&["points", "history", &series]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("commit  time"), "{table}");
    assert!(lines[1].ends_with("24"), "{table}");
    // Bad bounds are refused with the reason.
    for max in ["0", "1001"] {
        let refused = server.fails(&["points", "history", &series, "--max", max]);
        assert!(refused.contains("1000"), "{refused}");
    }
    let refused = server.fails(&["points", "history", &series, "--from", &to, "--to", &from]);
    assert!(refused.contains("not before"), "{refused}");
}

#[test]
fn a_backup_restores_as_a_server() {
    let server = Server::start();
    let key = server.create("Kept", "HOUR");
    let kept = points(1_000, 3);
    let csv = server.path("kept.csv");
    write_csv(&csv, &kept);
    server.ok(&[
        "points",
        "import",
        csv.to_str().unwrap(),
        "--series",
        &key.to_string(),
    ]);
    let made = server.json(&["backup", "nightly"]);
    assert_eq!(made["series"], 1);
    let directory = PathBuf::from(made["directory"].as_str().unwrap());
    assert_eq!(directory.file_name().unwrap(), "nightly");
    let again = server.fails(&["backup", "nightly"]);
    assert!(again.contains("already exists"), "{again}");

    // Restore: a server on a copy of the backup's directory.
    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(restored_dir.path().join("data")).unwrap();
    for entry in std::fs::read_dir(&directory).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            restored_dir.path().join("data").join(entry.file_name()),
        )
        .unwrap();
    }
    let restored = Server::on(restored_dir, "data");
    let out = restored.path("restored.csv");
    export(&restored, key, &kept, &out);
    assert_eq!(bits(&read_csv(&out)), bits(&kept));
    drop(server.runtime);
}
