//! Meta commands (`.tables`, `\d`, ...): parsing, the help table, and running them.
//!
//! One enum and one table of names keep parsing, `.help` and tab completion in step.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use logsql::rejects_name;

use super::{Mode, Repl};

/// A parsed meta command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Tables,
    Schema(Option<String>),
    Open {
        paths: Vec<PathBuf>,
        name: String,
        format: String,
    },
    Mode(Option<Mode>),
    Output(Option<PathBuf>),
    Timer(Option<bool>),
    MaxRows(Option<usize>),
    Read(PathBuf),
    Formats,
    /// `.follow [--from-start] [--interval SECS] SQL`: the statement in follow mode.
    Follow {
        sql: String,
        from_start: bool,
        interval_ms: u64,
    },
    Help,
    Quit,
}

/// `(names, arguments, what it does)`; the first name is the one `.help` shows first.
pub const HELP: &[(&[&str], &str, &str)] = &[
    (&[".tables", "\\d"], "", "list tables"),
    (
        &[".schema", "\\d NAME"],
        "[TABLE]",
        "columns and types; for a log table also files, format and rejects",
    ),
    (
        &[".open"],
        "PATH... [AS NAME] [FORMAT F]  (F: a name or a quoted definition)",
        "register log files as a table (default name logs)",
    ),
    (
        &[".mode"],
        "table|csv|tsv|json|ndjson|markdown",
        "how results are printed",
    ),
    (
        &[".output"],
        "[FILE]",
        "send results to FILE; alone: back to the screen",
    ),
    (&[".timer"], "on|off", "show how long each statement took"),
    (
        &[".maxrows"],
        "N",
        "rows shown in table and markdown modes (0: all; default 40)",
    ),
    (
        &[".read", "\\i"],
        "FILE",
        "run the statements and commands in FILE",
    ),
    (
        &[".formats"],
        "",
        "log formats logsql reads, with their columns",
    ),
    (
        &[".follow"],
        "[--from-start] [--interval S] SQL",
        "run SQL on lines as they are appended (aggregates refresh every S s) until Ctrl-C",
    ),
    (&[".help", "\\?"], "", "this help"),
    (&[".quit", "\\q"], "", "leave (Ctrl-D also does)"),
];

/// Every word that starts a meta command, for completion.
pub fn names() -> impl Iterator<Item = &'static str> {
    HELP.iter()
        .flat_map(|(names, _, _)| names.iter().map(|n| n.split(' ').next().unwrap()))
}

/// Splits arguments like a shell would, minus expansion: blanks separate, quotes group.
pub fn words(s: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        bail!("unclosed quote in {s:?}");
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

impl Command {
    /// Parses a line that starts with `.` or `\`.
    pub fn parse(line: &str) -> Result<Command> {
        let line = line.trim().trim_end_matches(';').trim_end();
        let (head, tail) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        if head == ".follow" {
            // The rest is SQL, not shell words.
            return parse_follow(tail.trim());
        }
        let args = words(tail)?;
        let no_args = |c: Command| {
            if args.is_empty() {
                Ok(c)
            } else {
                Err(anyhow!("{head} takes no arguments"))
            }
        };
        let one = |what: &str| match args.as_slice() {
            [a] => Ok(a.clone()),
            _ => Err(anyhow!("usage: {head} {what}")),
        };
        let on_off = || match args.as_slice() {
            [] => Ok(None),
            [a] if a.eq_ignore_ascii_case("on") => Ok(Some(true)),
            [a] if a.eq_ignore_ascii_case("off") => Ok(Some(false)),
            _ => Err(anyhow!("usage: {head} on|off")),
        };
        match head {
            ".tables" => no_args(Command::Tables),
            "\\d" if args.is_empty() => Ok(Command::Tables),
            ".schema" | "\\d" => match args.as_slice() {
                [] => Ok(Command::Schema(None)),
                [t] => Ok(Command::Schema(Some(t.clone()))),
                _ => bail!("usage: {head} [TABLE]"),
            },
            ".open" => parse_open(&args),
            ".mode" => match args.as_slice() {
                [] => Ok(Command::Mode(None)),
                [m] => Ok(Command::Mode(Some(super::parse_mode(m)?))),
                _ => bail!("usage: .mode table|csv|tsv|json|ndjson|markdown"),
            },
            ".output" | ".out" => match args.as_slice() {
                [] => Ok(Command::Output(None)),
                [f] => Ok(Command::Output(Some(f.into()))),
                _ => bail!("usage: .output [FILE]"),
            },
            ".timer" => on_off().map(Command::Timer),
            ".maxrows" => match args.as_slice() {
                [] => Ok(Command::MaxRows(None)),
                [n] => n
                    .parse()
                    .map(|n| Command::MaxRows(Some(n)))
                    .map_err(|_| anyhow!("usage: .maxrows N (0 for all)")),
                _ => bail!("usage: .maxrows N"),
            },
            ".read" | "\\i" => one("FILE").map(|f| Command::Read(f.into())),
            ".formats" => no_args(Command::Formats),
            ".help" | "\\?" | "\\h" => Ok(Command::Help),
            ".quit" | ".exit" | "\\q" => no_args(Command::Quit),
            _ => bail!("unknown command {head}; .help lists them"),
        }
    }
}

fn parse_open(args: &[String]) -> Result<Command> {
    let mut paths = Vec::new();
    let mut name = "logs".to_string();
    let mut format = "auto".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.eq_ignore_ascii_case("as") {
            name = it
                .next()
                .ok_or_else(|| anyhow!(".open: AS needs a table name"))?
                .clone();
        } else if a.eq_ignore_ascii_case("format") {
            format = it
                .next()
                .ok_or_else(|| anyhow!(".open: FORMAT needs a format name"))?
                .clone();
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    if paths.is_empty() {
        bail!("usage: .open PATH... [AS NAME] [FORMAT F]");
    }
    Ok(Command::Open {
        paths,
        name,
        format,
    })
}

fn parse_follow(mut rest: &str) -> Result<Command> {
    let usage = "usage: .follow [--from-start] [--interval SECONDS] SELECT ...";
    let (mut from_start, mut interval) = (false, 2.0f64);
    while rest.starts_with("--") {
        let (flag, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        rest = tail.trim_start();
        match flag {
            "--from-start" => from_start = true,
            "--interval" => {
                let (value, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                interval = crate::cli::args::parse_interval(value).map_err(|e| anyhow!(e))?;
                rest = tail.trim_start();
            }
            _ => bail!("unknown option {flag}; {usage}"),
        }
    }
    if rest.is_empty() {
        bail!("{usage}");
    }
    Ok(Command::Follow {
        sql: rest.to_string(),
        from_start,
        interval_ms: (interval * 1000.0).round() as u64,
    })
}

/// The `.help` text.
pub fn help_text() -> String {
    let rows: Vec<(String, &str)> = HELP
        .iter()
        .map(|(names, args, what)| {
            let mut usage = format!("{} {args}", names[0]);
            if names.len() > 1 {
                usage = format!("{} ({})", usage.trim_end(), names[1..].join(", "));
            }
            (usage, *what)
        })
        .collect();
    let width = rows
        .iter()
        .map(|(u, _)| u.chars().count())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for (usage, what) in rows {
        s.push_str(&format!("{usage:width$}  {what}\n"));
    }
    s.push_str("\nSQL statements end with ';' and may span lines. Tab completes keywords, tables, columns,\n");
    s.push_str(
        "functions, commands and (inside quotes) file names. Ctrl-C cancels a running query.\n",
    );
    s
}

impl Repl {
    /// `.follow`: runs one statement in follow mode until Ctrl-C (which the shell's loop
    /// races every command against) or the end of its stream.
    async fn follow(&mut self, sql: &str, from_start: bool, interval_ms: u64) -> Result<()> {
        use std::io::IsTerminal;
        let mut statements = datafusion::sql::parser::DFParser::parse_sql(sql)
            .map_err(|e| anyhow!("{}", e.to_string().replace('\n', " ")))?;
        if statements.len() != 1 {
            bail!(
                ".follow runs one statement; {} were given",
                statements.len()
            );
        }
        let statement = statements.pop_front().expect("one");
        if self.interactive {
            self.say("following; Ctrl-C stops\n");
        }
        let settings = crate::cli::follow::FollowSettings {
            from_start,
            interval: std::time::Duration::from_millis(interval_ms),
        };
        let mut stdout = std::io::stdout();
        let redraw = self.settings.output.is_none() && stdout.is_terminal();
        let out: &mut dyn std::io::Write = match &mut self.settings.output {
            Some((_, file)) => file,
            None => &mut stdout,
        };
        let sink = crate::cli::follow::Sink {
            out,
            format: self.settings.mode,
            redraw,
        };
        crate::cli::follow::run(
            &self.session,
            statement,
            &Default::default(),
            settings,
            sink,
        )
        .await
    }

    /// Runs one meta command; `Ok(false)` means quit.
    pub(super) async fn run_command(&mut self, cmd: Command) -> Result<bool> {
        match cmd {
            Command::Quit => return Ok(false),
            Command::Help => self.say(&help_text()),
            Command::Tables => {
                let text = self.tables_text();
                self.say(&text);
            }
            Command::Schema(table) => {
                let text = self.schema_text(table.as_deref()).await?;
                self.say(&text);
            }
            Command::Open {
                paths,
                name,
                format,
            } => {
                super::refuse_stdin_log(&paths)?;
                let table = self.session.open(&name, &paths, &format)?;
                let size: u64 = table
                    .files()
                    .iter()
                    .filter_map(|f| std::fs::metadata(&f.path).ok())
                    .map(|m| m.len())
                    .sum();
                let n = table.files().len();
                self.say(&format!(
                    "table {name}: {n} file{}, {} format, {}; lines that do not parse are in {}\n",
                    if n == 1 { "" } else { "s" },
                    table.format().name(),
                    super::progress::human_bytes(size),
                    rejects_name(&name),
                ));
                self.refresh_completion().await;
            }
            Command::Mode(None) => {
                self.say(&format!("mode: {}\n", super::mode_name(self.settings.mode)))
            }
            Command::Mode(Some(m)) => self.settings.mode = m,
            Command::Output(None) => self.settings.output = None,
            Command::Output(Some(path)) => {
                let file = std::fs::File::create(&path)
                    .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
                self.settings.output = Some((path, std::io::BufWriter::new(file)));
            }
            Command::Timer(None) => self.say(&format!(
                "timer: {}\n",
                if self.settings.timer { "on" } else { "off" }
            )),
            Command::Timer(Some(on)) => self.settings.timer = on,
            Command::MaxRows(None) => self.say(&format!("maxrows: {}\n", self.settings.max_rows)),
            Command::MaxRows(Some(n)) => self.settings.max_rows = n,
            Command::Read(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
                self.depth += 1;
                let result = if self.depth > 16 {
                    Err(anyhow!(".read nested too deeply"))
                } else {
                    Box::pin(self.run_script(&text)).await
                };
                self.depth -= 1;
                return result;
            }
            Command::Formats => self.say(&crate::cli::formats::listing(&self.session.registry)),
            Command::Follow {
                sql,
                from_start,
                interval_ms,
            } => self.follow(&sql, from_start, interval_ms).await?,
        }
        Ok(true)
    }

    fn tables_text(&self) -> String {
        let names = self.table_names();
        if names.is_empty() {
            return "no tables; open log files with .open PATH...\n".into();
        }
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let mut s = String::new();
        for name in names {
            let what = if let Some((_, t)) = self.session.tables.iter().find(|(n, _)| *n == name) {
                let n = t.files().len();
                format!(
                    "{} log, {n} file{}",
                    t.format().name(),
                    if n == 1 { "" } else { "s" }
                )
            } else if let Some(base) = self
                .session
                .tables
                .iter()
                .find(|(n, _)| rejects_name(n) == name)
            {
                format!("lines of {} that did not parse", base.0)
            } else {
                "table".into()
            };
            s.push_str(&format!("{name:width$}  {what}\n"));
        }
        s
    }

    async fn schema_text(&mut self, table: Option<&str>) -> Result<String> {
        let Some(name) = table else {
            let mut s = String::new();
            for name in self.table_names() {
                let schema = self
                    .session
                    .ctx
                    .table_provider(name.as_str())
                    .await?
                    .schema();
                let cols: Vec<String> = schema
                    .fields()
                    .iter()
                    .map(|f| format!("{} {}", f.name(), type_name(f.data_type())))
                    .collect();
                s.push_str(&format!("{name}({})\n", cols.join(", ")));
            }
            return Ok(s);
        };
        let provider = self
            .session
            .ctx
            .table_provider(name)
            .await
            .map_err(|_| anyhow!("no table named {name}"))?;
        let schema = provider.schema();
        let width = schema
            .fields()
            .iter()
            .map(|f| f.name().chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        let mut s = format!("{:width$}  type\n", "column");
        for f in schema.fields() {
            let null = if f.is_nullable() { "" } else { "  not null" };
            s.push_str(&format!(
                "{:width$}  {}{null}\n",
                f.name(),
                type_name(f.data_type())
            ));
        }
        if let Some((_, t)) = self.session.tables.iter().find(|(n, _)| n == name) {
            let format = t.format();
            if format.description().is_empty() {
                s.push_str(&format!("\nformat: {}\nfiles:\n", format.name()));
            } else {
                s.push_str(&format!(
                    "\nformat: {} ({})\nfiles:\n",
                    format.name(),
                    format.description()
                ));
            }
            for f in t.files() {
                let size = std::fs::metadata(&f.path)
                    .map(|m| super::progress::human_bytes(m.len()))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "  {} ({}, {size})\n",
                    f.name,
                    f.compression.name()
                ));
            }
            if let Some(slack) = t.time_ordered() {
                s.push_str(&format!(
                    "time order: assumed, slack {} (--time-ordered)\n",
                    logsql::table::prune::format_duration(slack)
                ));
            }
            let rejects = rejects_name(name);
            let sql = format!("SELECT count(*) FROM \"{rejects}\"");
            let batches = self.session.ctx.sql(&sql).await?.collect().await?;
            let count = batches
                .first()
                .and_then(|b| {
                    b.column(0)
                        .as_any()
                        .downcast_ref::<arrow::array::Int64Array>()
                        .map(|a| a.value(0))
                })
                .unwrap_or(0);
            s.push_str(&format!(
                "rejected lines: {count} (SELECT * FROM {rejects})\n"
            ));
        }
        Ok(s)
    }

    /// Tables of the default schema, sorted.
    pub(super) fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .session
            .ctx
            .catalog("datafusion")
            .and_then(|c| c.schema("public"))
            .map(|s| s.table_names())
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// SQL-ish names for Arrow types people meet in log tables.
pub fn type_name(t: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType::*;
    match t {
        Utf8 | LargeUtf8 | Utf8View => "text".into(),
        Int32 => "int".into(),
        Int64 => "bigint".into(),
        Float64 => "double".into(),
        Boolean => "boolean".into(),
        Timestamp(unit, tz) => {
            let unit = format!("{unit:?}").to_lowercase();
            match tz {
                Some(tz) => format!("timestamp ({unit}, {tz})"),
                None => format!("timestamp ({unit})"),
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_takes_options_then_raw_sql() {
        assert_eq!(
            Command::parse(".follow --from-start --interval 0.5 SELECT 'it''s' FROM logs;")
                .unwrap(),
            Command::Follow {
                sql: "SELECT 'it''s' FROM logs".into(),
                from_start: true,
                interval_ms: 500,
            }
        );
        assert_eq!(
            Command::parse(".follow SELECT uri FROM logs").unwrap(),
            Command::Follow {
                sql: "SELECT uri FROM logs".into(),
                from_start: false,
                interval_ms: 2000,
            }
        );
        assert!(Command::parse(".follow").is_err());
        assert!(Command::parse(".follow --interval 0 SELECT 1").is_err());
        assert!(Command::parse(".follow --fast SELECT 1").is_err());
    }

    #[test]
    fn parses_commands_and_backslash_forms() {
        assert_eq!(Command::parse(".tables").unwrap(), Command::Tables);
        assert_eq!(Command::parse("\\d").unwrap(), Command::Tables);
        assert_eq!(
            Command::parse("\\d logs").unwrap(),
            Command::Schema(Some("logs".into()))
        );
        assert_eq!(Command::parse("\\q").unwrap(), Command::Quit);
        assert_eq!(Command::parse("\\?").unwrap(), Command::Help);
        assert_eq!(
            Command::parse("\\i a.sql").unwrap(),
            Command::Read("a.sql".into())
        );
        assert_eq!(
            Command::parse(".mode csv").unwrap(),
            Command::Mode(Some(Mode::Csv))
        );
        assert_eq!(
            Command::parse(".timer OFF").unwrap(),
            Command::Timer(Some(false))
        );
        assert_eq!(
            Command::parse(".maxrows 5").unwrap(),
            Command::MaxRows(Some(5))
        );
        assert!(Command::parse(".mode nope").is_err());
        assert!(Command::parse(".frobnicate").is_err());
    }

    #[test]
    fn open_takes_paths_name_and_format() {
        assert_eq!(
            Command::parse(".open 'my dir/a.log' b.log AS web FORMAT combined").unwrap(),
            Command::Open {
                paths: vec!["my dir/a.log".into(), "b.log".into()],
                name: "web".into(),
                format: "combined".into()
            }
        );
        assert_eq!(
            Command::parse(".open a.log").unwrap(),
            Command::Open {
                paths: vec!["a.log".into()],
                name: "logs".into(),
                format: "auto".into()
            }
        );
        // A format definition with spaces and quotes, quoted as in a shell.
        assert_eq!(
            Command::parse(r#".open a.log FORMAT 'apache:%h "%r" %>s %D'"#).unwrap(),
            Command::Open {
                paths: vec!["a.log".into()],
                name: "logs".into(),
                format: r#"apache:%h "%r" %>s %D"#.into()
            }
        );
        assert!(Command::parse(".open").is_err());
    }

    #[test]
    fn help_mentions_every_command() {
        let help = help_text();
        for name in names() {
            assert!(help.contains(name), "{name} missing from help");
        }
    }
}
