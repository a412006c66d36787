//! `logsql report`: the summary a log analyser gives, as text or as one self-contained HTML
//! page (inline CSS, charts as inline SVG drawn here; no scripts, nothing fetched).

use std::fmt::Write as _;

use anyhow::Result;
use arrow::datatypes::{DataType, Schema};
use logsql::rejects_name;

use super::run::Session;
use super::text::{formatted_rows, human_bytes as text_bytes};

/// Rows in each top list.
const TOP: usize = 10;

/// The numbers of the report.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<String>,
    pub format: String,
    pub requests: i64,
    /// None when the log has no bytes column (likewise `clients`).
    pub bytes: Option<i64>,
    pub clients: Option<i64>,
    pub first: String,
    pub last: String,
    pub rejects: i64,
    /// Files whose damaged compressed data cut the reading short, as the warnings say it: the
    /// figures cover only the lines before the damage.
    pub damage: Vec<String>,
    /// The roles (`status`, `uri`, ...) this log has no column for: their parts are left out.
    pub missing: Vec<&'static str>,
    /// ("2xx", hits) ... and ("other", hits) for a status that is NULL or outside 100-599.
    pub classes: Vec<(String, i64)>,
    pub top_uris: Vec<(String, i64)>,
    pub top_404: Vec<(String, i64)>,
    /// (client, requests, bytes: None without a bytes column)
    pub top_clients: Vec<(String, i64, Option<i64>)>,
    /// (hour, requests, 4xx, 5xx)
    pub hourly: Vec<(String, i64, i64, i64)>,
}

/// The columns the report reads, found by role in the table's schema, as SQL expressions:
/// formats name them differently (W3C's `path`, nginx JSON's `remote_addr` and
/// `body_bytes_sent`), and a log may have none for some role (an application's JSON log).
#[derive(Debug, Default, PartialEq)]
struct Roles {
    ts: Option<String>,
    status: Option<String>,
    bytes: Option<String>,
    client: Option<String>,
    uri: Option<String>,
}

impl Roles {
    fn of(schema: &Schema) -> Roles {
        let find = |names: &[&str], fits: fn(&DataType) -> bool| {
            names.iter().find_map(|name| {
                let field = schema.fields().iter().find(|f| f.name() == name)?;
                fits(field.data_type()).then(|| quoted(name))
            })
        };
        let integer = |t: &DataType| t.is_integer();
        let text =
            |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
        let ts = find(
            &[
                "ts",
                "timestamp",
                "time",
                "@timestamp",
                "time_iso8601",
                "time_local",
            ],
            |t| matches!(t, DataType::Timestamp(..)),
        )
        .or_else(|| {
            let field = schema
                .fields()
                .iter()
                .find(|f| matches!(f.data_type(), DataType::Timestamp(..)))?;
            Some(quoted(field.name()))
        });
        let uri = find(&["uri", "path", "request_uri", "uri_path", "url"], text).or_else(|| {
            // nginx JSON logs often keep only `$request`: "GET /a HTTP/1.1".
            find(&["request"], text).map(|r| format!("split_part({r}, ' ', 2)"))
        });
        Roles {
            ts,
            status: find(
                &["status", "status_code", "response_code", "http_status"],
                integer,
            ),
            bytes: find(
                &[
                    "bytes",
                    "body_bytes_sent",
                    "bytes_sent",
                    "response_size",
                    "size",
                ],
                integer,
            ),
            client: find(
                &["client", "remote_addr", "client_ip", "remote_ip", "ip"],
                |_| true,
            ),
            uri,
        }
    }

    fn missing(&self) -> Vec<&'static str> {
        [
            ("ts", &self.ts),
            ("status", &self.status),
            ("bytes", &self.bytes),
            ("client", &self.client),
            ("uri", &self.uri),
        ]
        .into_iter()
        .filter(|(_, column)| column.is_none())
        .map(|(role, _)| role)
        .collect()
    }
}

/// `name` as a SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

type Rows = Vec<Vec<Option<String>>>;

async fn rows(session: &Session, sql: &str) -> Result<Rows> {
    let batches = session.ctx.sql(sql).await?.collect().await?;
    Ok(formatted_rows(&batches)?)
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(none)".into())
}

fn num(v: &Option<String>) -> i64 {
    v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// `(key, hits)` pairs of a two-column result.
fn pairs(rows: Rows) -> Vec<(String, i64)> {
    rows.iter()
        .map(|row| (text(&row[0]), num(&row[1])))
        .collect()
}

impl Report {
    pub async fn compute(session: &Session, table: &str) -> Result<Report> {
        let mut r = Report::default();
        if let Some((_, t)) = session.tables.iter().find(|(n, _)| n == table) {
            r.files = t.files().iter().map(|f| f.name.clone()).collect();
            r.format = t.format().name().to_string();
        }
        let schema = session.ctx.table(table).await?.schema().inner().clone();
        let roles = Roles::of(&schema);
        r.missing = roles.missing();
        let or_null = |column: &Option<String>, sql: &dyn Fn(&str) -> String| {
            column.as_deref().map_or_else(|| "NULL".to_string(), sql)
        };
        let totals = rows(
            session,
            &format!(
                "SELECT count(*), {} AS bytes, {} AS clients, {} AS first, {} AS last FROM {table}",
                or_null(&roles.bytes, &|b| format!("coalesce(sum({b}), 0)")),
                or_null(&roles.client, &|c| format!("count(DISTINCT {c})")),
                or_null(&roles.ts, &|t| format!(
                    "to_char(min({t}), '%Y-%m-%d %H:%M:%S UTC')"
                )),
                or_null(&roles.ts, &|t| format!(
                    "to_char(max({t}), '%Y-%m-%d %H:%M:%S UTC')"
                )),
            ),
        )
        .await?;
        if let Some(t) = totals.first() {
            r.requests = num(&t[0]);
            r.bytes = roles.bytes.as_ref().map(|_| num(&t[1]));
            r.clients = roles.client.as_ref().map(|_| num(&t[2]));
            r.first = t[3].clone().unwrap_or_else(|| "-".into());
            r.last = t[4].clone().unwrap_or_else(|| "-".into());
        }
        if let Some(status) = &roles.status {
            r.classes = pairs(
                rows(
                    session,
                    &format!(
                        "SELECT CASE WHEN {status} BETWEEN 100 AND 599 THEN CAST({status} / 100 AS VARCHAR) || 'xx' ELSE 'other' END AS class, \
                         count(*) FROM {table} GROUP BY 1 ORDER BY 1"
                    ),
                )
                .await?,
            );
        }
        let top = |filter: &str, column: &str| {
            format!(
                "SELECT {column}, count(*) FROM {table} {filter} GROUP BY 1 \
                 ORDER BY 2 DESC, 1 LIMIT {TOP}"
            )
        };
        if let Some(uri) = &roles.uri {
            r.top_uris = pairs(rows(session, &top("", uri)).await?);
            if let Some(status) = &roles.status {
                let filter = format!("WHERE {status} = 404");
                r.top_404 = pairs(rows(session, &top(&filter, uri)).await?);
            }
        }
        if let Some(client) = &roles.client {
            let bytes = or_null(&roles.bytes, &|b| format!("coalesce(sum({b}), 0)"));
            r.top_clients = rows(
                session,
                &format!(
                    "SELECT {client}, count(*), {bytes} AS bytes FROM {table} GROUP BY 1 \
                     ORDER BY 2 DESC, 1 LIMIT {TOP}"
                ),
            )
            .await?
            .iter()
            .map(|row| {
                (
                    text(&row[0]),
                    num(&row[1]),
                    roles.bytes.as_ref().map(|_| num(&row[2])),
                )
            })
            .collect();
        }
        if let Some(ts) = &roles.ts {
            let errors = |from: u16| {
                or_null(&roles.status, &|s| {
                    format!(
                        "count(*) FILTER (WHERE {s} BETWEEN {from} AND {})",
                        from + 99
                    )
                })
            };
            r.hourly = rows(
                session,
                &format!(
                    "SELECT to_char(date_trunc('hour', {ts}), '%Y-%m-%d %H:00') AS hour, count(*), {} AS e4, {} AS e5 \
                     FROM {table} WHERE {ts} IS NOT NULL GROUP BY 1 ORDER BY 1",
                    errors(400),
                    errors(500)
                ),
            )
            .await?
            .iter()
            .map(|row| (text(&row[0]), num(&row[1]), num(&row[2]), num(&row[3])))
            .collect();
        }
        r.rejects = rows(
            session,
            &format!("SELECT count(*) FROM {}", rejects_name(table)),
        )
        .await?
        .first()
        .map_or(0, |row| num(&row[0]));
        // The last statement read every file again: its counters hold what damage it met.
        if let Some((_, t)) = session.tables.iter().find(|(name, _)| name == table) {
            r.damage = t.stats().damage().iter().map(ToString::to_string).collect();
        }
        Ok(r)
    }

    /// Whether the log has a column for `role`.
    fn has(&self, role: &str) -> bool {
        !self.missing.contains(&role)
    }

    /// Requests with a 4xx and with a 5xx status (from the classes: every row, whether or
    /// not it has a time).
    fn errors(&self) -> (i64, i64) {
        let class = |name: &str| self.classes.iter().find(|c| c.0 == name).map_or(0, |c| c.1);
        (class("4xx"), class("5xx"))
    }

    /// The report as plain text for the terminal.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "logsql report: {} ({})",
            self.files.join(", "),
            self.format
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "requests          {}", group(self.requests));
        if let Some(bytes) = self.bytes {
            let _ = writeln!(
                s,
                "bytes             {} ({})",
                group(bytes),
                human_bytes(bytes)
            );
        }
        if let Some(clients) = self.clients {
            let _ = writeln!(s, "distinct clients  {}", group(clients));
        }
        if self.has("ts") {
            let _ = writeln!(s, "first request     {}", self.first);
            let _ = writeln!(s, "last request      {}", self.last);
        }
        let _ = writeln!(s, "rejected lines    {}", group(self.rejects));
        for damage in &self.damage {
            let _ = writeln!(s, "damaged input     {damage}");
        }
        let status = self.has("status");
        if status {
            let (e4, e5) = self.errors();
            let _ = writeln!(s, "4xx / 5xx         {} / {}", group(e4), group(e5));
        }
        if !self.missing.is_empty() {
            let _ = writeln!(s, "no column for     {}", self.missing.join(", "));
        }
        if status {
            section(
                &mut s,
                "Status classes",
                &["class", "requests", "share"],
                self.classes
                    .iter()
                    .map(|(c, n)| vec![c.clone(), group(*n), percent(*n, self.requests)]),
            );
        }
        if self.has("uri") {
            section(
                &mut s,
                "Top URIs",
                &["requests", "uri"],
                self.top_uris
                    .iter()
                    .map(|(u, n)| vec![group(*n), u.clone()]),
            );
        }
        if self.has("uri") && status {
            section(
                &mut s,
                "Top 404s",
                &["requests", "uri"],
                self.top_404.iter().map(|(u, n)| vec![group(*n), u.clone()]),
            );
        }
        if self.has("client") {
            section(
                &mut s,
                "Top clients",
                &["requests", "bytes", "client"],
                self.top_clients
                    .iter()
                    .map(|(c, n, b)| vec![group(*n), b.map_or("-".into(), human_bytes), c.clone()]),
            );
        }
        if self.has("ts") && status {
            section(
                &mut s,
                "Errors per hour (hours with errors)",
                &["hour (UTC)", "requests", "4xx", "5xx"],
                self.hourly
                    .iter()
                    .filter(|h| h.2 + h.3 > 0)
                    .map(|(h, n, a, b)| vec![h.clone(), group(*n), group(*a), group(*b)]),
            );
        }
        s
    }

    /// The report as a self-contained HTML page.
    pub fn html(&self) -> String {
        let mut s = String::new();
        let title = format!("logsql report: {}", self.files.join(", "));
        let (e4, e5) = self.errors();
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{CSS}</style></head><body>\n<h1>Access log report</h1>\n\
             <p class=\"sub\">{} &middot; format {}{}</p>\n<div class=\"cards\">",
            esc(&title),
            esc(&self.files.join(", ")),
            esc(&self.format),
            match self.has("ts") {
                true => format!(" &middot; {} to {}", esc(&self.first), esc(&self.last)),
                false => String::new(),
            }
        );
        let status = self.has("status");
        let mut cards = vec![("Requests", group(self.requests), String::new())];
        if let Some(bytes) = self.bytes {
            cards.push(("Bytes sent", human_bytes(bytes), group(bytes)));
        }
        if let Some(clients) = self.clients {
            cards.push(("Distinct clients", group(clients), String::new()));
        }
        if status {
            cards.push(("Client errors (4xx)", group(e4), percent(e4, self.requests)));
            cards.push(("Server errors (5xx)", group(e5), percent(e5, self.requests)));
        }
        cards.push((
            "Rejected lines",
            group(self.rejects),
            "lines that did not parse".into(),
        ));
        for (label, value, note) in cards {
            let _ = write!(
                s,
                "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"note\">{}</div></div>",
                esc(label),
                esc(&value),
                esc(&note)
            );
        }
        s.push_str("</div>\n");

        for damage in &self.damage {
            let _ = writeln!(
                s,
                "<p class=\"sub\"><strong>Damaged input:</strong> {}</p>",
                esc(damage)
            );
        }
        if !self.missing.is_empty() {
            let _ = writeln!(
                s,
                "<p class=\"sub\">This log has no column for {}: the parts that need them are left out.</p>",
                esc(&self.missing.join(", "))
            );
        }
        if status {
            s.push_str("<section><h2>Status classes</h2>");
            s.push_str(&class_chart(&self.classes, self.requests));
            s.push_str("</section>\n");
        }
        if self.has("ts") {
            s.push_str("<section><h2>Requests per hour (UTC)</h2>");
            let requests: Vec<(String, Vec<i64>)> = self
                .hourly
                .iter()
                .map(|h| (h.0.clone(), vec![h.1]))
                .collect();
            s.push_str(&bar_chart(&requests, &[("requests", "#4c78a8")]));
            s.push_str("</section>\n");
        }
        if self.has("ts") && status {
            s.push_str("<section><h2>Errors per hour (UTC)</h2>");
            let errors: Vec<(String, Vec<i64>)> = self
                .hourly
                .iter()
                .map(|h| (h.0.clone(), vec![h.2, h.3]))
                .collect();
            s.push_str(&bar_chart(
                &errors,
                &[("4xx", "#f58518"), ("5xx", "#e45756")],
            ));
            s.push_str("</section>\n");
        }
        s.push_str("<div class=\"grid\">");
        let uri_rows = |list: &[(String, i64)]| -> Vec<(String, i64, String)> {
            list.iter()
                .map(|(u, n)| (u.clone(), *n, String::new()))
                .collect()
        };
        if self.has("uri") {
            s.push_str(&top_table("Top URIs", "URI", &uri_rows(&self.top_uris)));
        }
        if self.has("uri") && status {
            s.push_str(&top_table("Top 404s", "URI", &uri_rows(&self.top_404)));
        }
        if self.has("client") {
            let clients: Vec<(String, i64, String)> = self
                .top_clients
                .iter()
                .map(|(c, n, b)| (c.clone(), *n, b.map(human_bytes).unwrap_or_default()))
                .collect();
            s.push_str(&top_table("Top clients", "client", &clients));
        }
        s.push_str(
            "</div>\n<footer>Generated by logsql. Times are UTC.</footer>\n</body></html>\n",
        );
        s
    }
}

const CSS: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2933;background:#f5f7fa;margin:0;padding:24px 32px;}\
h1{margin:0 0 4px;font-size:26px}h2{font-size:17px;margin:0 0 12px}\
.sub{color:#616e7c;margin:0 0 20px;overflow-wrap:anywhere}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin-bottom:20px}\
.card{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
.label{color:#616e7c;font-size:12px;text-transform:uppercase;letter-spacing:.04em}\
.value{font-size:24px;font-weight:600;margin-top:2px}.note{color:#7b8794;font-size:12px;min-height:1em}\
section,.panel{background:#fff;border-radius:8px;padding:16px;margin-bottom:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
svg{display:block;width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#52606d}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:20px}\
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{padding:4px 6px;text-align:left;vertical-align:top}\
th{font-size:12px;color:#616e7c;border-bottom:1px solid #e4e7eb}td.n{text-align:right;width:70px;font-variant-numeric:tabular-nums}\
td.x{text-align:right;width:80px;color:#616e7c}td.k{overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:12px}\
.bar{height:4px;background:#4c78a8;border-radius:2px;margin-top:3px}\
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}\
footer{color:#7b8794;font-size:12px;margin-top:8px}";

fn class_color(class: &str) -> &'static str {
    match class {
        "1xx" => "#9d9d9d",
        "2xx" => "#54a24b",
        "3xx" => "#4c78a8",
        "4xx" => "#f58518",
        "5xx" => "#e45756",
        _ => "#b279a2",
    }
}

/// Horizontal bars, one per status class.
fn class_chart(classes: &[(String, i64)], total: i64) -> String {
    let max = classes.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let (w, row) = (1000.0, 30.0);
    let h = row * classes.len().max(1) as f64 + 8.0;
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"requests per status class\">"
    );
    for (i, (class, n)) in classes.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let width = (*n as f64 / max as f64) * 700.0;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\" style=\"font-size:13px;font-weight:600\">{}</text>\
             <rect x=\"60\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"{}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" style=\"font-size:12px\">{} ({})</text>",
            y + 17.0,
            esc(class),
            row - 8.0,
            class_color(class),
            esc(class),
            n,
            66.0 + width,
            y + 16.0,
            group(*n),
            percent(*n, total)
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical (stacked) bars over time; x labels at each day's first hour.
fn bar_chart(points: &[(String, Vec<i64>)], series: &[(&str, &str)]) -> String {
    let (w, h, left, bottom, top) = (1000.0f64, 220.0f64, 52.0f64, 24.0f64, 10.0f64);
    let plot_w = w - left - 8.0;
    let plot_h = h - bottom - top;
    let max = points
        .iter()
        .map(|p| p.1.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut s = String::from("<div class=\"legend\">");
    for (name, color) in series {
        let _ = write!(
            s,
            "<span><i style=\"background:{color}\"></i>{}</span>",
            esc(name)
        );
    }
    s.push_str("</div>");
    let _ = write!(s, "<svg viewBox=\"0 0 {w} {h}\" role=\"img\">");
    // Grid lines and y labels at 0, max/2, max.
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - frac);
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e4e7eb\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - 8.0,
            left - 6.0,
            y + 4.0,
            group((max as f64 * frac).round() as i64)
        );
    }
    if points.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\">no rows</text>",
            left + 10.0,
            top + plot_h / 2.0
        );
    }
    let step = plot_w / points.len().max(1) as f64;
    let bar = (step * 0.8).max(0.5);
    let mut last_label_x = f64::NEG_INFINITY;
    for (i, (label, values)) in points.iter().enumerate() {
        let x = left + i as f64 * step;
        let mut y = top + plot_h;
        for (value, (name, color)) in values.iter().zip(series) {
            let bh = *value as f64 / max as f64 * plot_h;
            y -= bh;
            if bh > 0.0 {
                let _ = write!(
                    s,
                    "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{bar:.2}\" height=\"{bh:.2}\" fill=\"{color}\"><title>{} {}: {}</title></rect>",
                    esc(label),
                    esc(name),
                    value
                );
            }
        }
        // A date under the first hour of each day (and the first bar), when there is room.
        let day_start = label.ends_with("00:00") || i == 0;
        if day_start && x - last_label_x > 70.0 {
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9aa5b1\"/><text x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                top + plot_h,
                top + plot_h + 4.0,
                h - 6.0,
                esc(label.get(..10).unwrap_or(label))
            );
            last_label_x = x;
        }
    }
    s.push_str("</svg>");
    s
}

/// A top-N table with a bar under each count.
fn top_table(title: &str, key: &str, rows: &[(String, i64, String)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let extra = rows.iter().any(|r| !r.2.is_empty());
    let mut s = format!("<div class=\"panel\"><h2>{}</h2><table><tr><th>{}</th><th style=\"text-align:right\">requests</th>", esc(title), esc(key));
    if extra {
        s.push_str("<th style=\"text-align:right\">bytes</th>");
    }
    s.push_str("</tr>");
    if rows.is_empty() {
        s.push_str("<tr><td>none</td></tr>");
    }
    for (k, n, x) in rows {
        let _ = write!(
            s,
            "<tr><td class=\"k\">{}<div class=\"bar\" style=\"width:{:.1}%\"></div></td><td class=\"n\">{}</td>",
            esc(k),
            *n as f64 / max as f64 * 100.0,
            group(*n)
        );
        if extra {
            let _ = write!(s, "<td class=\"x\">{}</td>", esc(x));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table></div>");
    s
}

/// Escapes text for HTML (log fields are attacker-controlled).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// 1234567 -> "1,234,567".
pub fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn human_bytes(n: i64) -> String {
    text_bytes(n.max(0) as u64)
}

fn percent(n: i64, total: i64) -> String {
    if total == 0 {
        return "-".into();
    }
    format!("{:.1}%", n as f64 * 100.0 / total as f64)
}

/// Appends a titled, aligned text table (the last column is left free-width).
fn section(s: &mut String, title: &str, header: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let rows: Vec<Vec<String>> = rows.collect();
    let _ = writeln!(s, "\n{title}");
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let n = cells.len();
        let parts: Vec<String> = cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == n {
                    c
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        format!("  {}", parts.join("  "))
    };
    let _ = writeln!(
        s,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    );
    if rows.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for row in rows {
        let _ = writeln!(s, "{}", line(row));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(12), "12");
        assert_eq!(
            esc("<script>\"x\"&'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;"
        );
        assert_eq!(human_bytes(2048), "2.0 KiB");
    }

    fn schema(fields: &[(&str, DataType)]) -> Schema {
        Schema::new(
            fields
                .iter()
                .map(|(n, t)| arrow::datatypes::Field::new(*n, t.clone(), true))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn roles_are_found_by_name_and_type() {
        let utc = DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, Some("UTC".into()));
        // nginx JSON: other names, and the URI only inside `request`.
        let nginx = Roles::of(&schema(&[
            ("time", utc.clone()),
            ("remote_addr", DataType::Utf8),
            ("request", DataType::Utf8),
            ("status", DataType::Int32),
            ("body_bytes_sent", DataType::Int64),
        ]));
        assert_eq!(nginx.ts.as_deref(), Some("\"time\""));
        assert_eq!(nginx.client.as_deref(), Some("\"remote_addr\""));
        assert_eq!(
            nginx.uri.as_deref(),
            Some("split_part(\"request\", ' ', 2)")
        );
        assert_eq!(nginx.bytes.as_deref(), Some("\"body_bytes_sent\""));
        assert!(nginx.missing().is_empty());
        // A text `status` is not a status code; any timestamp column serves as the time.
        let app = Roles::of(&schema(&[
            ("@when", utc),
            ("status", DataType::Utf8),
            ("msg", DataType::Utf8),
        ]));
        assert_eq!(app.ts.as_deref(), Some("\"@when\""));
        assert_eq!(app.missing(), ["status", "bytes", "client", "uri"]);
    }
}
