//! Formats defined by a format string: Apache `LogFormat` and nginx `log_format`.
//!
//! Both compile to the same [`Template`]: literal text and fields in turn. A field ends where
//! the literal after it begins (found with `memchr`); a field between quotes ends at a quote
//! that is followed by the rest of that literal, so escaped and even unescaped quotes inside
//! it are content. The template knows each field's conversion, so parsing validates numbers
//! and instants as it goes, like the hand-written access parser.

pub mod apache;
pub mod nginx;
pub mod pasted;

use super::access::bare_quotes;
use super::record::{
    ColumnNames, ColumnSpec, Escapes, LineParser, Parsed, Record, RowCheck, Value,
};
use super::reject::RejectReason;
use super::values::{
    bad_value, strftime_holds, strftime_parses, Conversion, Converter, TimeFormat,
};
use crate::search::{find_byte, FindEither};

/// A field as a format string defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub conv: Conversion,
    /// A request line (`%r`, `$request`): the method/uri/path/query/protocol columns follow it.
    pub request: bool,
    /// A value that may be a list (`1.2.3.4, 10.0.0.1` in a header, nginx's
    /// `0.010, 0.002 : 0.030` of upstream tries): unquoted, its `, ` and ` : ` separators do
    /// not end it at a space.
    pub list: bool,
    /// The reject for a text field left empty; `None`: empty text is a value. (A number or
    /// time left empty is always a reject.)
    pub if_empty: Option<RejectReason>,
}

impl FieldDef {
    pub fn new(name: &str, conv: Conversion) -> Self {
        FieldDef {
            name: name.to_string(),
            conv,
            request: false,
            list: false,
            if_empty: None,
        }
    }

    /// The client address (`%h`, `$remote_addr`): text as logged, never NULL, and never empty,
    /// as `combined` reads it (a line without one is a reject there too).
    pub fn client() -> Self {
        FieldDef {
            if_empty: Some(RejectReason::MissingClient),
            ..Self::new(
                "client",
                Conversion::Text {
                    dash_null: false,
                    escapes: Escapes::None,
                },
            )
        }
    }

    /// This field, as one whose value may be a list.
    pub fn list(self) -> Self {
        FieldDef { list: true, ..self }
    }

    /// Text with backslash escapes undone; `-` is NULL.
    pub fn text(name: &str) -> Self {
        Self::new(
            name,
            Conversion::Text {
                dash_null: true,
                escapes: Escapes::Backslash,
            },
        )
    }

    /// A request line: `-` stays text (it is what was logged), and the parts follow it.
    pub fn request(name: &str) -> Self {
        FieldDef {
            request: true,
            ..Self::new(
                name,
                Conversion::Text {
                    dash_null: false,
                    escapes: Escapes::Backslash,
                },
            )
        }
    }
}

/// A piece of a format string: literal bytes or a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Literal(Vec<u8>),
    Field(FieldDef),
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Literal(Vec<u8>),
    Field {
        slot: usize,
        conv: Conversion,
        /// Opened by a quote: ends at a quote followed by the next literal.
        quoted: bool,
        /// Occurrences of the next literal inside the field's own text to pass over (a
        /// strftime time with spaces in it).
        skip: usize,
        /// How many more of them a time's padded values may add (`%e` writes ` 6`).
        padding: usize,
        /// See [`FieldDef::list`].
        list: bool,
        /// The reject for the field left empty (`None`: empty text is a value).
        if_empty: Option<RejectReason>,
    },
}

/// What [`Template::parse`] runs: the items, with each field told how it ends and the literal
/// after it folded into that, so a line is read in one pass with no look-ahead.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// Literal text before the first field.
    Literal(Box<[u8]>),
    Field {
        slot: usize,
        conv: Conversion,
        end: End,
        /// The reject for the field left empty (`None`: empty text is a value).
        if_empty: Option<RejectReason>,
    },
}

/// Where a field ends (and what of the line it consumes after itself).
#[derive(Debug, Clone, PartialEq)]
enum End {
    /// At the end of the line, trailing whitespace trimmed.
    Line,
    /// Opened by a quote, at a quote that starts the next literal `lit` (backslash escapes
    /// skipped); `last`: `lit` ends the format, so only whitespace may follow it.
    Quote { lit: Box<[u8]>, last: bool },
    /// Before the next `byte`, the literal after the field (most often a space).
    Byte(u8),
    /// Before the next `lit`, passing over `skip` of them inside the field itself.
    Literal { lit: Box<[u8]>, skip: usize },
    /// A strftime time whose padded values may hold up to `padding` more of `lit`'s first
    /// byte than `skip` (`Dec  6` against `Dec 16`): before the first `lit` after `skip` of
    /// them whose text reads as `pattern`, or else after `skip + padding`.
    Padded {
        lit: Box<[u8]>,
        skip: usize,
        padding: usize,
        pattern: Box<str>,
    },
    /// Before the next `lit` (which starts with a space) that is not part of a list
    /// separator, `, ` or ` : `.
    List { lit: Box<[u8]> },
}

/// A compiled format string.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    steps: Vec<Step>,
    slots: usize,
    columns: Vec<ColumnSpec>,
}

impl Template {
    /// Builds a template from pieces; fails when two fields touch (nothing tells where the
    /// first ends) or there is no field at all.
    pub fn new(pieces: Vec<Piece>) -> Result<Template, String> {
        let mut items: Vec<Item> = Vec::new();
        let mut columns = Vec::new();
        let mut names = ColumnNames::new();
        let mut slots = 0;
        for piece in pieces {
            match piece {
                Piece::Literal(lit) if lit.is_empty() => {}
                Piece::Literal(lit) => match items.last_mut() {
                    Some(Item::Literal(prev)) => prev.extend_from_slice(&lit),
                    _ => items.push(Item::Literal(lit)),
                },
                Piece::Field(def) => {
                    if let Some(Item::Field { .. }) = items.last() {
                        return Err(format!(
                            "field '{}' follows another field with nothing between them",
                            def.name
                        ));
                    }
                    let quoted =
                        matches!(items.last(), Some(Item::Literal(l)) if l.ends_with(b"\""));
                    let slot = slots;
                    slots += 1;
                    let mut column =
                        ColumnSpec::slot(names.unique(&def.name), def.conv.field_type(), slot);
                    if def.request {
                        column = column.required();
                    }
                    columns.push(column);
                    if def.request {
                        for part in ColumnSpec::request_parts(slot) {
                            let name = names.unique(&part.name);
                            columns.push(ColumnSpec { name, ..part });
                        }
                    }
                    // A number or time left out is a line of another shape, not a NULL (`-`
                    // is): a status missing would put the size in its place.
                    let if_empty = match def.conv {
                        Conversion::Text { .. } => def.if_empty,
                        _ => Some(bad_value(&def.conv, slot)),
                    };
                    items.push(Item::Field {
                        slot,
                        conv: def.conv,
                        quoted,
                        skip: 0,
                        padding: 0,
                        list: def.list,
                        if_empty,
                    });
                }
            }
        }
        if slots == 0 {
            return Err("the format has no fields".into());
        }
        // A time holds as many of the next literal's first byte as it writes (a CLF time,
        // unbracketed as nginx's `$time_local` may be, holds one space; `%c` four, or five
        // with a day padded to ` 6`); the field ends after them.
        for i in 0..items.len() {
            let next_first = match items.get(i + 1) {
                Some(Item::Literal(lit)) => lit[0],
                _ => continue,
            };
            if let Item::Field {
                conv: Conversion::Time(time),
                skip,
                padding,
                ..
            } = &mut items[i]
            {
                let (least, most) = match time {
                    TimeFormat::Strftime(p) => strftime_holds(p, next_first),
                    TimeFormat::Clf => {
                        let clf = b"10/Oct/2000:13:55:36 -0700";
                        let n = clf.iter().filter(|b| **b == next_first).count();
                        (n, n)
                    }
                    _ => continue,
                };
                (*skip, *padding) = (least, most - least);
            }
        }
        Ok(Template {
            steps: compile(items),
            slots,
            columns,
        })
    }

    /// The table columns, in the order of the format string.
    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    /// Parses one line with `conv`'s caches.
    pub fn parse(
        &self,
        line: &[u8],
        rec: &mut Record,
        conv: &mut Converter,
    ) -> Result<(), RejectReason> {
        self.run::<false>(line, rec, conv, None).map(|_| ())
    }

    /// Parses one line, testing `check` as soon as the slots it reads are filled (they come in
    /// line order): [`Parsed::Skipped`] for a line that fails it, without parsing the rest.
    pub fn parse_checked(
        &self,
        line: &[u8],
        rec: &mut Record,
        conv: &mut Converter,
        check: &dyn RowCheck,
    ) -> Result<Parsed, RejectReason> {
        self.run::<true>(line, rec, conv, Some(check))
    }

    /// [`Template::parse`], or with `CHECKED` [`Template::parse_checked`]: a constant, so that
    /// the plain parse has no test per field.
    fn run<const CHECKED: bool>(
        &self,
        line: &[u8],
        rec: &mut Record,
        conv: &mut Converter,
        check: Option<&dyn RowCheck>,
    ) -> Result<Parsed, RejectReason> {
        let mut later = None;
        match self.run_steps::<CHECKED>(line, rec, conv, check, &mut later) {
            // A time left for after the check comes before the field that failed: the whole
            // parse would have stopped at it, if it is bad.
            Err(e) => match later {
                Some((slot, span, c)) => {
                    Err(conv.convert(c, line, span, slot, rec).err().unwrap_or(e))
                }
                None => Err(e),
            },
            parsed => parsed,
        }
    }

    /// The steps of [`Template::run`]. A time field that a check does not read is left in
    /// `later` until the line passes the check, so the lines it drops never pay for the
    /// costliest field.
    #[inline(always)]
    fn run_steps<'t, const CHECKED: bool>(
        &'t self,
        line: &[u8],
        rec: &mut Record,
        conv: &mut Converter,
        check: Option<&dyn RowCheck>,
        later: &mut Option<(usize, (usize, usize), &'t Conversion)>,
    ) -> Result<Parsed, RejectReason> {
        let check_after = check.map_or(usize::MAX, |c| c.last_slot());
        let defer_time = CHECKED && check_after < self.slots;
        if line.is_empty() {
            return Err(RejectReason::Empty);
        }
        // Every slot is written when the line parses (a reject's record is not read), so the
        // record only needs its size.
        if rec.values.len() != self.slots {
            rec.reset(self.slots);
        }
        let mut pos = 0;
        for step in &self.steps {
            match step {
                Step::Literal(lit) => {
                    if !has_prefix(&line[pos..], lit) {
                        return Err(RejectReason::Mismatch { slot: 0 });
                    }
                    pos += lit.len();
                }
                Step::Field {
                    slot,
                    conv: c,
                    end,
                    if_empty,
                } => {
                    let quotes = &conv.quote_or_backslash;
                    let (field_end, next, escaped) = field_end(line, pos, end, quotes)
                        .ok_or(RejectReason::Mismatch { slot: *slot as u16 })?;
                    if field_end == pos {
                        if let Some(reason) = if_empty {
                            return Err(*reason);
                        }
                    }
                    let deferred = defer_time
                        && later.is_none()
                        && *slot < check_after
                        && matches!(c, Conversion::Time(_))
                        && !check.is_some_and(|k| k.reads_slot(*slot));
                    match (c, escaped) {
                        _ if deferred => *later = Some((*slot, (pos, field_end), c)),
                        (
                            Conversion::Text {
                                dash_null,
                                escapes: Escapes::Backslash,
                            },
                            Some(escaped),
                        ) => {
                            rec.values[*slot] = if *dash_null && &line[pos..field_end] == b"-" {
                                Value::Null
                            } else {
                                let escapes = if escaped {
                                    Escapes::Backslash
                                } else {
                                    Escapes::None
                                };
                                Value::Span(pos as u32, field_end as u32, escapes)
                            };
                        }
                        _ => conv.convert(c, line, (pos, field_end), *slot, rec)?,
                    }
                    pos = next;
                    if CHECKED && *slot == check_after {
                        if !check.is_some_and(|k| k.passes(rec)) {
                            return Ok(Parsed::Skipped);
                        }
                        if let Some((slot, span, c)) = later.take() {
                            conv.convert(c, line, span, slot, rec)?;
                        }
                    }
                }
            }
        }
        // Extra spaces or tabs at the end are harmless; anything else means another format.
        if !line[pos..].iter().all(|b| b.is_ascii_whitespace()) {
            return Err(RejectReason::Mismatch {
                slot: self.slots as u16,
            });
        }
        // A check past the last field (none reads such a slot today) is tested on the whole row.
        if CHECKED && check_after >= self.slots && check.is_some_and(|c| !c.passes(rec)) {
            return Ok(Parsed::Skipped);
        }
        Ok(Parsed::Row)
    }
}

/// Turns the built items into steps: each field takes the literal after it as its end.
fn compile(items: Vec<Item>) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut items = items.into_iter().peekable();
    while let Some(item) = items.next() {
        match item {
            // Only a literal before the first field is left: every other follows a field.
            Item::Literal(lit) => steps.push(Step::Literal(lit.into())),
            Item::Field {
                slot,
                conv,
                quoted,
                skip,
                padding,
                list,
                if_empty,
            } => {
                let end = match items.next() {
                    None => End::Line,
                    Some(Item::Literal(lit)) if quoted && lit[0] == b'"' => End::Quote {
                        lit: lit.into(),
                        last: items.peek().is_none(),
                    },
                    Some(Item::Literal(lit)) if list && lit[0] == b' ' => {
                        End::List { lit: lit.into() }
                    }
                    Some(Item::Literal(lit)) if lit.len() == 1 && skip == 0 && padding == 0 => {
                        End::Byte(lit[0])
                    }
                    Some(Item::Literal(lit)) => match &conv {
                        Conversion::Time(TimeFormat::Strftime(pattern)) if padding > 0 => {
                            End::Padded {
                                lit: lit.into(),
                                skip,
                                padding,
                                pattern: pattern.as_str().into(),
                            }
                        }
                        _ => End::Literal {
                            lit: lit.into(),
                            skip,
                        },
                    },
                    Some(Item::Field { .. }) => unreachable!("fields never touch"),
                };
                steps.push(Step::Field {
                    slot,
                    conv,
                    end,
                    if_empty,
                });
            }
        }
    }
    steps
}

/// Where a field starting at `pos` ends, and where the line goes on after the literal that
/// ends it. For a quoted field, also whether it holds a backslash escape (the search saw them
/// all, so the text need not be scanned again).
#[inline(always)]
fn field_end(
    line: &[u8],
    pos: usize,
    end: &End,
    quote_or_backslash: &FindEither,
) -> Option<(usize, usize, Option<bool>)> {
    let rest = &line[pos..];
    match end {
        End::Line => {
            let mut end = line.len();
            while end > pos && line[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            Some((end, line.len(), None))
        }
        End::Quote { lit, last } => {
            // The closing quote is one followed by the rest of the literal (or the end of the
            // line when the literal is just the quote); backslash escapes are skipped.
            let mut i = 0;
            let mut escaped = false;
            // For the last field: bare quotes after the current one, counted once at the
            // first quote that a space follows and counted down as the loop passes them (as
            // `combined` does: no rescan of the line per quote).
            let mut quotes_after: Option<usize> = None;
            loop {
                let at = i + quote_or_backslash.find(&rest[i..])?;
                if rest[at] == b'\\' {
                    escaped = true;
                    i = at + 2;
                    if i > rest.len() {
                        return None;
                    }
                    continue;
                }
                if let Some(n) = &mut quotes_after {
                    *n = n.saturating_sub(1);
                }
                // `rest[at]` is the quote that starts `lit`. The last field's closing quote
                // ends the line, or is followed by a space and quotes that pair up (another
                // quoted field, which then makes the line a reject, as any extra field does),
                // as `combined` reads its user agent; a bare quote inside is content.
                let after = &rest[at..];
                let mut closes_last = |tail: &[u8]| {
                    if tail.iter().all(u8::is_ascii_whitespace) {
                        return true;
                    }
                    let pairs_up = |n: usize| n % 2 == 0;
                    tail[0] == b' '
                        && match lit.len() {
                            // `tail` starts right after the quote: the count carries on.
                            1 => pairs_up(*quotes_after.get_or_insert_with(|| bare_quotes(tail))),
                            _ => pairs_up(bare_quotes(tail)),
                        }
                };
                if has_prefix(&after[1..], &lit[1..]) && (!last || closes_last(&after[lit.len()..]))
                {
                    let end = pos + at;
                    return Some((end, end + lit.len(), Some(escaped)));
                }
                i = at + 1;
            }
        }
        End::Byte(byte) => {
            let end = find_byte(line, pos, *byte)?;
            Some((end, end + 1, None))
        }
        End::Literal { lit, skip } => {
            let (first, mut skip) = (lit[0], *skip);
            let mut i = 0;
            loop {
                let at = find_byte(rest, i, first)?;
                // The field's own bytes come first, whatever follows them.
                if skip > 0 {
                    skip -= 1;
                } else if has_prefix(&rest[at + 1..], &lit[1..]) {
                    let end = pos + at;
                    return Some((end, end + lit.len(), None));
                }
                i = at + 1;
            }
        }
        End::Padded {
            lit,
            skip,
            padding,
            pattern,
        } => {
            let first = lit[0];
            let (mut i, mut passed) = (0, 0);
            // The first end that failed, for the conversion to reject.
            let mut unread = None;
            loop {
                let Some(at) = find_byte(rest, i, first) else {
                    let end = pos + unread?;
                    return Some((end, end + lit.len(), None));
                };
                if passed >= *skip && has_prefix(&rest[at + 1..], &lit[1..]) {
                    if passed >= skip + padding || strftime_parses(&rest[..at], pattern) {
                        let end = pos + at;
                        return Some((end, end + lit.len(), None));
                    }
                    unread.get_or_insert(at);
                }
                passed += 1;
                i = at + 1;
            }
        }
        End::List { lit } => {
            let mut i = 0;
            loop {
                let at = find_byte(rest, i, b' ')?;
                let after = &rest[at + 1..];
                let separator = (at > 0 && rest[at - 1] == b',')
                    || after.starts_with(b": ")
                    || (at > 1 && &rest[at - 2..at] == b" :");
                if !separator && has_prefix(after, &lit[1..]) {
                    let end = pos + at;
                    return Some((end, end + lit.len(), None));
                }
                i = at + 1;
            }
        }
    }
}

/// Whether `hay` starts with `lit`. Literals are a few bytes: a loop beats the call to
/// `memcmp` that `starts_with` makes.
#[inline]
fn has_prefix(hay: &[u8], lit: &[u8]) -> bool {
    hay.len() >= lit.len() && hay.iter().zip(lit).all(|(a, b)| a == b)
}

/// A template with its per-partition caches.
pub struct TemplateParser {
    template: std::sync::Arc<Template>,
    conv: Converter,
}

impl TemplateParser {
    pub fn new(template: std::sync::Arc<Template>) -> Self {
        TemplateParser {
            template,
            conv: Converter::default(),
        }
    }
}

impl LineParser for TemplateParser {
    #[inline]
    fn parse(&mut self, line: &[u8], rec: &mut Record) -> Result<Parsed, RejectReason> {
        self.template.parse(line, rec, &mut self.conv)?;
        Ok(Parsed::Row)
    }

    #[inline]
    fn parse_checked(
        &mut self,
        line: &[u8],
        rec: &mut Record,
        check: &dyn RowCheck,
    ) -> Result<Parsed, RejectReason> {
        self.template
            .parse_checked(line, rec, &mut self.conv, check)
    }
}

/// `User-Agent` → `user_agent`, `X-Forwarded-For` → `x_forwarded_for`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(pieces: Vec<Piece>) -> Template {
        Template::new(pieces).unwrap()
    }

    #[test]
    fn quoted_field_ends_at_quote_before_the_literal() {
        let t = template(vec![
            Piece::Literal(b"\"".to_vec()),
            Piece::Field(FieldDef::text("ua")),
            Piece::Literal(b"\" ".to_vec()),
            Piece::Field(FieldDef::new("n", Conversion::Int64)),
        ]);
        let line = br#""a "b"c \"d\"" 42"#;
        let mut rec = Record::default();
        t.parse(line, &mut rec, &mut Converter::default()).unwrap();
        assert_eq!(rec.raw_text(line, 0).unwrap().0, br#"a "b"c \"d\""#);
        assert_eq!(rec.values[1], Value::Int(42));
    }

    /// Testing a pushed check early changes no row, no value and no reject of a line that
    /// passes it; a line that fails it is skipped, maybe before its damage is seen.
    #[test]
    fn parse_checked_agrees_with_parse_then_check() {
        use crate::parse::record::testing::{
            assert_checked_agrees, combined_checks, example_lines_with_damage,
        };
        let lines = example_lines_with_damage();
        // The combined format with lower-case headers: a template, not the combined parser.
        let t = std::sync::Arc::new(
            apache::compile(r#"%h %l %u %t "%r" %>s %b "%{referer}i" "%{user-agent}i""#).unwrap(),
        );
        let (mut plain, mut checked) = (TemplateParser::new(t.clone()), TemplateParser::new(t));
        let hidden = assert_checked_agrees(&mut plain, &mut checked, &lines, &combined_checks());
        assert!(
            hidden > 0,
            "cut user agents of other statuses are skipped unread"
        );
    }

    /// A line without a client is a reject, with the reason `combined` gives it.
    #[test]
    fn an_empty_client_is_a_reject() {
        let apache = apache::compile("%h %l %>s").unwrap();
        let nginx = nginx::compile("$remote_addr $remote_user $status").unwrap();
        for t in [apache, nginx] {
            let parse = |line: &[u8]| {
                let mut rec = Record::default();
                t.parse(line, &mut rec, &mut Converter::default())
            };
            assert_eq!(parse(b"1.2.3.4 - 200"), Ok(()));
            assert_eq!(parse(b" - 200"), Err(RejectReason::MissingClient));
        }
    }

    #[test]
    fn touching_fields_are_refused() {
        let err = Template::new(vec![
            Piece::Field(FieldDef::text("a")),
            Piece::Field(FieldDef::text("b")),
        ])
        .unwrap_err();
        assert!(err.contains("nothing between"));
    }

    #[test]
    fn names_are_snake_cased_and_unique() {
        assert_eq!(snake_case("User-Agent"), "user_agent");
        assert_eq!(snake_case("X-Forwarded-For"), "x_forwarded_for");
        let mut names = ColumnNames::new();
        assert_eq!(names.unique("status"), "status");
        assert_eq!(names.unique("status"), "status_2");
    }
}
