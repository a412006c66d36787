//! `ua_browser`, `ua_os`, `ua_device` and `is_bot`: what a `User-Agent` says, through the
//! [woothee](https://crates.io/crates/woothee) classifier (pure Rust, a maintained dataset of
//! browsers, operating systems and crawlers shared with its Java, Ruby and JS ports).
//!
//! Classifying a user agent runs a few dozen regexes, but a log has few distinct user agents
//! (tens to thousands) over millions of rows. So each batch classifies each distinct string
//! once, and the results are kept in a small cache shared by all four functions and all
//! partitions; a row costs a hash lookup.
//!
//! `is_bot` is woothee's crawler category, its HTTP libraries (curl, wget, Java, ...), a user
//! agent with `bot` ending a word, or one containing one of [`BOT_MARKERS`]: crawlers name
//! themselves (`AhrefsBot/6.1`, `archive.org_bot`, `Barkrowler (+http://www.exensa.com/crawl)`)
//! and scripts keep their library's name. A `bot` inside a word (`Botanica`, `Abbott`) or ending
//! one of [`ORDINARY_BOT_WORDS`] (`abbot`, the Cubot phone brand) is not a crawler's name,
//! for woothee's own crawler pattern either. It is a heuristic: a bot that pretends to be
//! Chrome is counted as Chrome.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use arrow::array::{ArrayRef, BooleanBuilder, StringBuilder};
use datafusion::common::Result as DfResult;

use super::Text;

/// Lower-case fragments that mark a user agent as automated, beyond woothee's own crawler and
/// HTTP library lists and `bot` ending a word.
pub const BOT_MARKERS: [&str; 19] = [
    // A crawler whose name starts with `bot` rather than ending in it.
    "botify",
    // A crawler's page about its crawlers (YandexImages, Slack-ImgProxy): `+http://.../bots`.
    "/bots",
    "/robots",
    "crawl",
    "spider",
    "slurp",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "okhttp",
    "libwww",
    "httpclient",
    "scrapy",
    "headlesschrome",
    "phantomjs",
    "facebookexternalhit",
    "curl/",
    "wget/",
    "node-fetch",
];

/// Ordinary words (and a phone brand: `CUBOT_X30`) that end in `bot` without naming a crawler;
/// `robot` is not one of them (`UptimeRobot`, `ahrefs.com/robot/`).
pub const ORDINARY_BOT_WORDS: [&str; 7] = [
    "abbot", "cabot", "cubot", "jabot", "sabot", "talbot", "turbot",
];

/// Where `bot` ends a word (no ASCII letter after it: `Googlebot/`, `AhrefsBot;`, `-bot`,
/// `bot.html`) in `lower`, with whether that word is one of [`ORDINARY_BOT_WORDS`].
fn bot_word_ends(lower: &str) -> impl Iterator<Item = (usize, bool)> + '_ {
    let bytes = lower.as_bytes();
    memchr::memmem::find_iter(bytes, b"bot").filter_map(move |at| {
        let end = at + 3;
        if bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        let start = bytes[..at]
            .iter()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |p| p + 1);
        let word = &lower[start..end];
        Some((at, ORDINARY_BOT_WORDS.contains(&word)))
    })
}

/// What a user agent says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent {
    /// Browser or crawler name (`Chrome`, `Safari`, `Googlebot`, `HTTP Library`); `None` when
    /// unknown.
    pub browser: Option<String>,
    /// Operating system (`Windows 10`, `Mac OSX`, `iPhone`, `Android`); `None` when unknown.
    pub os: Option<String>,
    /// `desktop`, `mobile`, `tablet`, `feature phone`, `appliance`, `bot` or `other`; `None`
    /// when unknown.
    pub device: Option<&'static str>,
    /// Automated client: crawler, HTTP library or script.
    pub bot: bool,
}

/// Classifies one user agent (uncached).
pub fn classify(agent: &str) -> UserAgent {
    let known =
        |s: &str| (!s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN).then(|| s.to_string());
    let lower = agent.to_ascii_lowercase();
    // woothee's fallback crawler pattern reads `bot` ending a word too: an ordinary word is
    // hidden from it (`abbot` becomes `abb0t`; nothing else woothee reads changes).
    let (mut masked, mut names_a_bot) = (None, false);
    for (at, ordinary) in bot_word_ends(&lower) {
        if ordinary {
            masked
                .get_or_insert_with(|| agent.to_string())
                .replace_range(at + 1..at + 2, "0");
        } else {
            names_a_bot = true;
        }
    }
    let parsed = woothee::parser::Parser::new().parse(masked.as_deref().unwrap_or(agent));
    let (browser, os, category) = match &parsed {
        Some(r) => (known(r.name), known(r.os), r.category),
        None => (None, None, woothee::woothee::VALUE_UNKNOWN),
    };
    let device = match category {
        "pc" => Some("desktop"),
        "smartphone" if os.as_deref() == Some("iPad") => Some("tablet"),
        "smartphone" => Some("mobile"),
        "mobilephone" => Some("feature phone"),
        "appliance" => Some("appliance"),
        "crawler" => Some("bot"),
        "misc" => Some("other"),
        _ => None,
    };
    let bot = category == "crawler"
        || browser.as_deref() == Some("HTTP Library")
        || names_a_bot
        || BOT_MARKERS.iter().any(|m| lower.contains(m));
    UserAgent {
        browser,
        os,
        device,
        bot,
    }
}

/// Distinct user agents kept across batches; cleared when full (a log with more distinct user
/// agents than this gets per-batch caching only).
const CACHE_LIMIT: usize = 8192;

static CACHE: LazyLock<Mutex<HashMap<String, Arc<UserAgent>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Classifies through the shared cache.
pub fn classify_cached(agent: &str) -> Arc<UserAgent> {
    if let Some(found) = CACHE.lock().ok().and_then(|c| c.get(agent).cloned()) {
        return found;
    }
    let classified = Arc::new(classify(agent));
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(agent.to_string(), classified.clone());
    }
    classified
}

/// Which of the four functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Browser,
    Os,
    Device,
    Bot,
}

pub(crate) fn invoke(field: Field, agents: &ArrayRef) -> DfResult<ArrayRef> {
    let len = agents.len();
    let agents = Text::new(agents)?;
    // Per batch: each distinct string is looked up in the shared cache once; rows refer to
    // their class by index (no per-row reference counting across threads).
    let mut distinct: Vec<Arc<UserAgent>> = Vec::new();
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut last: Option<(&str, u32)> = None;
    let mut rows: Vec<Option<u32>> = Vec::with_capacity(len);
    for i in 0..len {
        let Some(agent) = agents.get(i) else {
            rows.push(None);
            continue;
        };
        // Runs of one user agent (a crawler's burst) skip even the hash.
        if let Some((prev, index)) = last {
            if prev == agent {
                rows.push(Some(index));
                continue;
            }
        }
        let index = *seen.entry(agent).or_insert_with(|| {
            distinct.push(classify_cached(agent));
            (distinct.len() - 1) as u32
        });
        last = Some((agent, index));
        rows.push(Some(index));
    }
    let class = |row: &Option<u32>| row.map(|i| &*distinct[i as usize]);
    Ok(match field {
        Field::Bot => {
            let mut out = BooleanBuilder::with_capacity(len);
            for row in &rows {
                out.append_option(class(row).map(|c| c.bot));
            }
            Arc::new(out.finish())
        }
        Field::Browser | Field::Os | Field::Device => {
            let mut out = StringBuilder::with_capacity(len, len * 8);
            for row in &rows {
                out.append_option(class(row).and_then(|c| match field {
                    Field::Browser => c.browser.as_deref(),
                    Field::Os => c.os.as_deref(),
                    _ => c.device,
                }));
            }
            Arc::new(out.finish())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::testing::{eval, eval_column};

    fn check(
        agent: &str,
        browser: Option<&str>,
        os: Option<&str>,
        device: Option<&str>,
        bot: bool,
    ) {
        let c = classify(agent);
        assert_eq!(c.browser.as_deref(), browser, "browser of {agent}");
        assert_eq!(c.os.as_deref(), os, "os of {agent}");
        assert_eq!(c.device, device, "device of {agent}");
        assert_eq!(c.bot, bot, "is_bot of {agent}");
    }

    /// The user agent of the first line of the real nginx fixture containing `marker`.
    fn real_agent(marker: &str) -> Option<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/real/nginx_main_shop.log"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!(
                "skipping: {path} not present (../shared/ is only beside the repository in CI)"
            );
            return None;
        };
        let line = text
            .lines()
            .find(|l| l.contains(marker))
            .unwrap_or_else(|| panic!("no line with {marker}"));
        // nginx main: ... "referer" "user agent" "x-forwarded-for"
        Some(line.split('"').nth(5).expect("a combined line").to_string())
    }

    #[test]
    fn real_browsers_and_bots_from_the_nginx_fixture() {
        /// Marker of the line, browser, os, device, is_bot.
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            bool,
        );
        let cases: [Case; 7] = [
            (
                "compatible; Googlebot/2.1; +http://www.google.com/bot.html)\" \"",
                Some("Googlebot"),
                None,
                Some("bot"),
                true,
            ),
            (
                "Nexus 5X Build/MMB29P",
                Some("Googlebot"),
                None,
                Some("bot"),
                true,
            ),
            (
                "compatible; bingbot/2.0",
                Some("bingbot"),
                None,
                Some("bot"),
                true,
            ),
            (
                "Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/71",
                Some("Chrome"),
                Some("Windows 8.1"),
                Some("desktop"),
                false,
            ),
            (
                "Windows NT 6.1; rv:42.0) Gecko/20100101 Firefox/42.0",
                Some("Firefox"),
                Some("Windows 7"),
                Some("desktop"),
                false,
            ),
            (
                "iPhone OS 12_1 like Mac OS X",
                Some("Safari"),
                Some("iPhone"),
                Some("mobile"),
                false,
            ),
            (
                "SM-G900H Build/LRX21T",
                Some("Chrome"),
                Some("Android"),
                Some("mobile"),
                false,
            ),
        ];
        for (marker, browser, os, device, bot) in cases {
            let Some(agent) = real_agent(marker) else {
                return;
            };
            check(&agent, browser, os, device, bot);
        }
        // woothee knows Ahrefs' crawler under its own label.
        if let Some(agent) = real_agent("AhrefsBot/6.1") {
            let c = classify(&agent);
            assert!(c.browser.is_some_and(|b| b.contains("AhrefsBot")) && c.bot);
            assert_eq!(c.device, Some("bot"));
        }
        // Not in woothee's list, but it names itself a crawler.
        if let Some(agent) = real_agent("Barkrowler/0.9") {
            assert!(classify(&agent).bot, "{agent}");
        }
        // Android apps' HTTP stack is people using an app, not a bot.
        if let Some(agent) = real_agent("Dalvik/2.1.0") {
            assert!(!classify(&agent).bot, "{agent}");
        }
    }

    #[test]
    fn generated_agents_and_scripts() {
        check(
            "curl/8.5.0",
            Some("HTTP Library"),
            None,
            Some("other"),
            true,
        );
        check("python-requests/2.31.0", None, None, None, true);
        check(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            Some("Firefox"),
            Some("Linux"),
            Some("desktop"),
            false,
        );
        check("Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", Some("Safari"), Some("iPad"), Some("tablet"), false);
        check("", None, None, None, false);
        check("\u{FFFD}\u{FFFD} garbage", None, None, None, false);
    }

    /// `bot` marks a crawler where it ends a word (`Googlebot/`, `AhrefsBot;`, `-bot`,
    /// `archive.org_bot`, `bot.html`), not inside a word or in an ordinary word that ends in
    /// `bot` (`abbot`, the Cubot phone brand); `robot` stays a bot.
    #[test]
    fn bot_ends_a_word_outside_ordinary_words() {
        let crawlers = [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Googlebot-Image/1.0",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_1) AppleWebKit/600.2.5 (KHTML, like Gecko) Version/8.0.2 Safari/600.2.5 (Applebot/0.1; +http://www.apple.com/go/applebot)",
            "Mozilla/5.0 (compatible; DotBot/1.1; http://www.opensiteexplorer.org/dotbot, help@moz.com)",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
            "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
            "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
            "Twitterbot/1.0",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)",
            "CCBot/2.0 (https://commoncrawl.org/faq/)",
            "Mozilla/5.0 (compatible; archive.org_bot +http://archive.org/details/archive.org_bot)",
            "Mozilla/5.0 (compatible; Linux x86_64; Mail.RU_Bot/2.0; +http://go.mail.ru/help/robots)",
            "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "AdsBot-Google (+http://www.google.com/adsbot.html)",
            "Barkrowler/0.9 (+http://www.exensa.com/crawl)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "python-requests/2.31.0",
        ];
        let named_by_their_page = [
            "Mozilla/5.0 (compatible; botify; http://botify.com)",
            "Mozilla/5.0 (compatible; YandexImages/3.0; +http://yandex.com/bots)",
            "Mozilla/5.0 (compatible; YandexMetrika/2.0; +http://yandex.com/bots yabs01)",
            "Slack-ImgProxy (+https://api.slack.com/robots)",
        ];
        for agent in crawlers.into_iter().chain(named_by_their_page) {
            assert!(classify(agent).bot, "{agent}");
        }
        let people = [
            "abbot",
            "Abbot/1.2 (iPhone; iOS 17.2)",
            "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.105 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.105 Mobile Safari/537.36",
            "BotanicaApp/2.0 (Android 14)",
            "AbbottLibre/3.1 CFNetwork/1490 Darwin/23.2.0",
        ];
        for agent in people {
            let c = classify(agent);
            assert!(!c.bot, "{agent}");
            assert_ne!(c.device, Some("bot"), "{agent}");
        }
        check(
            people[2],
            Some("Chrome"),
            Some("Android"),
            Some("mobile"),
            false,
        );
        assert_eq!(eval("is_bot('abbot')"), "false");
        assert_eq!(eval("is_bot('robot')"), "true");
    }

    #[test]
    fn from_sql_and_over_a_column() {
        assert_eq!(eval("ua_browser('curl/8.5.0')"), "HTTP Library");
        assert_eq!(
            eval(
                "is_bot('Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)')"
            ),
            "true"
        );
        assert_eq!(eval("ua_browser(NULL)"), "NULL");
        assert_eq!(eval("is_bot(NULL)"), "NULL");
        assert_eq!(eval("ua_os('')"), "NULL");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        // Repeats, runs and NULLs: the per-batch cache must give each row its own answer.
        let column = [
            Some(chrome),
            Some(chrome),
            None,
            Some(bot),
            Some(chrome),
            Some(""),
            Some(bot),
        ];
        assert_eq!(
            eval_column("ua_browser", &column, ""),
            [
                "Chrome",
                "Chrome",
                "NULL",
                "Googlebot",
                "Chrome",
                "NULL",
                "Googlebot"
            ]
        );
        assert_eq!(
            eval_column("is_bot", &column, ""),
            ["false", "false", "NULL", "true", "false", "false", "true"]
        );
        assert_eq!(
            eval_column("ua_device", &column, ""),
            ["desktop", "desktop", "NULL", "bot", "desktop", "NULL", "bot"]
        );
        assert_eq!(
            eval_column("ua_os", &column, ""),
            [
                "Windows 10",
                "Windows 10",
                "NULL",
                "NULL",
                "Windows 10",
                "NULL",
                "NULL"
            ]
        );
    }

    #[test]
    fn the_cache_gives_what_classify_gives() {
        let agent = "Mozilla/5.0 (Linux; Android 8.0.0; SM-J810F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/71.0.3578.99 Mobile Safari/537.36";
        assert_eq!(*classify_cached(agent), classify(agent));
        assert_eq!(*classify_cached(agent), classify(agent));
    }
}
