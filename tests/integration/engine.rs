//! The engine through the library API: partitions, LIMIT, projection.

use std::path::Path;
use std::sync::Arc;

use arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::{SessionConfig, SessionContext};
use logsql::generate::{GenFormat, GenOptions};
use logsql::{register_table, FormatChoice, LogTable};

use crate::util::Scratch;

async fn answer(path: &Path, partitions: usize, min_split: u64, sql: &str) -> String {
    answer_as(path, FormatChoice::Auto, partitions, min_split, sql).await
}

async fn answer_as(
    path: &Path,
    format: FormatChoice,
    partitions: usize,
    min_split: u64,
    sql: &str,
) -> String {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    let table = LogTable::open(&[path.to_path_buf()], format)
        .unwrap()
        .with_min_split_bytes(min_split);
    register_table(&ctx, "logs", Arc::new(table)).unwrap();
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_scans_equal_the_single_partition_scan() {
    let dir = Scratch::new("partitions");
    let (log, truth) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 6000,
            seed: 21,
            ..Default::default()
        },
    );
    let queries = [
        "SELECT count(*), sum(bytes), min(ts), max(ts), count(DISTINCT client) FROM logs",
        "SELECT status, count(*) FROM logs GROUP BY status ORDER BY status",
        "SELECT * FROM logs ORDER BY ts, client, request, bytes, user_agent, referer",
    ];
    for sql in queries {
        let single = answer(&log, 1, u64::MAX, sql).await;
        for (partitions, split) in [(2, 4096), (3, 1000), (7, 333), (16, 1)] {
            let parallel = answer(&log, partitions, split, sql).await;
            assert!(
                parallel == single,
                "{partitions} partitions differ on {sql}"
            );
        }
    }
    let count = answer(&log, 4, 1000, "SELECT count(*) AS n FROM logs").await;
    assert!(count.contains(&format!("| {} ", truth.rows)), "{count}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_gives_the_same_rows_and_rejects_in_any_number_of_partitions() {
    let dir = Scratch::new("formats-partitions");
    for format in GenFormat::ALL {
        let (log, truth) = dir.generated(
            &format!("{}.log", format.name()),
            &GenOptions {
                lines: 1500,
                seed: 4,
                format,
                ..Default::default()
            },
        );
        let choice: FormatChoice = format.format_spec().parse().unwrap();
        let sql = "SELECT * FROM logs ORDER BY _line";
        let rejects = "SELECT line_number, reason FROM logs_rejects ORDER BY line_number";
        let single = answer_as(&log, choice.clone(), 1, u64::MAX, sql).await;
        let single_rejects = answer_as(&log, choice.clone(), 1, u64::MAX, rejects).await;
        for (partitions, split) in [(2, 4096), (5, 700), (16, 1)] {
            let parallel = answer_as(&log, choice.clone(), partitions, split, sql).await;
            assert!(
                parallel == single,
                "{}: {partitions} partitions differ",
                format.name()
            );
            let count = answer_as(
                &log,
                choice.clone(),
                partitions,
                split,
                "SELECT count(*) AS n FROM logs",
            )
            .await;
            assert!(
                count.contains(&format!("| {} ", truth.rows)),
                "{}: {count}",
                format.name()
            );
            let r = answer_as(&log, choice.clone(), partitions, split, rejects).await;
            assert!(r == single_rejects, "{}: rejects differ", format.name());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_stops_reading_early() {
    let dir = Scratch::new("limit");
    let (log, _) = dir.generated(
        "big.log",
        &GenOptions {
            lines: 200_000,
            seed: 22,
            ..Default::default()
        },
    );
    let size = std::fs::metadata(&log).unwrap().len();
    let ctx = SessionContext::new();
    let table = Arc::new(LogTable::open(std::slice::from_ref(&log), FormatChoice::Auto).unwrap());
    register_table(&ctx, "logs", table.clone()).unwrap();
    let batches = ctx
        .sql("SELECT * FROM logs LIMIT 10")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 10);
    let read = table.stats().bytes();
    assert!(
        read > 0 && read < size / 20,
        "read {read} of {size} bytes for LIMIT 10"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_table_projection_and_filter() {
    let dir = Scratch::new("rejects-proj");
    let (log, truth) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 3000,
            seed: 23,
            ..Default::default()
        },
    );
    let out = answer(
        &log,
        2,
        1000,
        "SELECT reason, line_number FROM logs_rejects WHERE reason = 'invalid timestamp' ORDER BY line_number LIMIT 1",
    )
    .await;
    assert!(out.contains("invalid timestamp"), "{out}");
    let n = answer(&log, 2, 1000, "SELECT count(line) AS n FROM logs_rejects").await;
    assert!(n.contains(&format!("| {} ", truth.rejects)), "{n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_filters_give_the_same_rows_as_unpushed_ones() {
    let dir = Scratch::new("filters");
    let (log, truth) = dir.generated(
        "access.log",
        &GenOptions {
            lines: 5000,
            seed: 24,
            ..Default::default()
        },
    );
    // Each pair: a filter the scan takes, and an equivalent one it cannot (abs(), date_trunc()).
    let pairs = [
        ("status = 404", "abs(status) = 404"),
        ("404 = status", "abs(status) = 404"),
        ("status >= 400 AND status < 500", "abs(status) >= 400 AND abs(status) < 500"),
        ("status > 499", "abs(status) > 499"),
        ("status <= 204", "abs(status) <= 204"),
        ("status IN (301, 302, 503)", "abs(status) IN (301, 302, 503)"),
        ("status BETWEEN 300 AND 399", "abs(status) BETWEEN 300 AND 399"),
        ("ts >= '2025-02-16T00:00:00Z'", "date_trunc('second', ts) >= '2025-02-16T00:00:00Z'"),
        (
            "ts >= '2025-02-15' AND ts < TIMESTAMP '2025-02-17 12:00:00'",
            "date_trunc('second', ts) >= '2025-02-15' AND date_trunc('second', ts) < TIMESTAMP '2025-02-17 12:00:00'",
        ),
        ("status = 404 OR status = 500", "abs(status) = 404 OR abs(status) = 500"),
    ];
    for (pushed, plain) in pairs {
        let sql = |w: &str| {
            format!("SELECT count(*), sum(bytes), min(ts), max(client), max(user_agent) FROM logs WHERE {w}")
        };
        let want = answer(&log, 1, u64::MAX, &sql(plain)).await;
        for (partitions, split) in [(1, u64::MAX), (3, 1000)] {
            assert_eq!(
                answer(&log, partitions, split, &sql(pushed)).await,
                want,
                "{pushed}"
            );
        }
    }
    let n404 = answer(
        &log,
        2,
        1000,
        "SELECT count(*) AS n FROM logs WHERE status = 404",
    )
    .await;
    assert!(
        n404.contains(&format!("| {} ", truth.status[&404])),
        "{n404}"
    );

    let plan = answer(
        &log,
        2,
        1000,
        "EXPLAIN SELECT client FROM logs WHERE status = 500 LIMIT 3",
    )
    .await;
    assert!(
        plan.contains("filter=[status in [500, 500]], limit=3"),
        "{plan}"
    );
    let rows = answer(
        &log,
        2,
        1000,
        "SELECT status FROM logs WHERE status = 500 LIMIT 3",
    )
    .await;
    assert_eq!(rows.matches("| 500 ").count(), 3, "{rows}");
}

/// Long lines end a batch before `batch_size` rows: 100 lines of 1 MiB (rows, and as many
/// rejects) come in batches of at most about `BATCH_BYTES` of text, not in one 100 MiB batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_long_lines_stay_small() {
    let dir = Scratch::new("long-batches");
    let mut data = Vec::new();
    let uri = format!("/{}", "u".repeat(1 << 20));
    for _ in 0..100 {
        data.extend_from_slice(
            format!("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET {uri} HTTP/1.0\" 200 5\n")
                .as_bytes(),
        );
        data.extend_from_slice(format!("junk {uri}\n").as_bytes());
    }
    let log = dir.write("long.log", &data);
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let table = LogTable::open(&[log], "common".parse::<FormatChoice>().unwrap()).unwrap();
    register_table(&ctx, "logs", Arc::new(table)).unwrap();
    for sql in ["SELECT request FROM logs", "SELECT line FROM logs_rejects"] {
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 100, "{sql}");
        let largest = batches.iter().map(|b| b.get_array_memory_size()).max();
        assert!(batches.len() >= 20, "{sql}: {} batches", batches.len());
        assert!(largest < Some(12 << 20), "{sql}: {largest:?} bytes");
    }
}
